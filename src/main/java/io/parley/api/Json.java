package io.parley.api;

import akka.http.javadsl.marshalling.Marshaller;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.RequestEntity;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;
import io.parley.Texts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The JSON of Parley's public wire formats. Strict about types, so that {@code "seq":"7"} is a clear 400 rather than a
 * guess, and tolerant of unknown fields, so that newer clients keep working against older servers.
 */
public final class Json {
  /**
   * Deepest nesting of objects and arrays a document may have. Jackson parses any depth, but writes trees and reads
   * values recursively: a body nested 100,000 deep would overflow the stack of whoever wrote it back or bound it, and
   * a StackOverflowError is fatal to Akka (it stops the JVM), so one request could take a node down.
   */
  public static final int MAX_DEPTH = 64;

  /**
   * Longest number literal, in characters, anywhere in a document. Jackson 2.13 sets no limit (StreamReadConstraints
   * came with 2.15), and turning a literal of n digits into a BigInteger (which happens whenever a value is read into a
   * tree, a map or a buffer) takes time in n squared: 250,000 digits, well under the largest body, held a request
   * thread for seconds.
   */
  public static final int MAX_NUMBER_LENGTH = 100;

  /**
   * Longest number literal in JSON that Parley wrote itself from exact trees: BigDecimal writes what it read as
   * {@code 1222e9} as {@code 1.222E+12}, up to 4 characters longer (a point, an exponent's sign, two more digits).
   */
  private static final int MAX_WRITTEN_NUMBER_LENGTH = MAX_NUMBER_LENGTH + 4;

  public static final ObjectMapper MAPPER =
      JsonMapper.builder(new ShallowJsonFactory(MAX_NUMBER_LENGTH))
          .addModule(new ParameterNamesModule())
          .addModule(new Jdk8Module())
          .addModule(new JavaTimeModule())
          .addModule(new SimpleModule("strict-strings").addDeserializer(String.class, new StrictStringDeserializer()))
          .addMixIn(Object.class, SkipUnknownFields.class)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .serializationInclusion(JsonInclude.Include.ALWAYS)
          .build();

  /**
   * Reads trees whose numbers keep their exact decimal value, where Parley keeps JSON for a client and gives it back
   * (a message's metadata, a notification's data): read as doubles, 1e400 came back as "Infinity", 1E-400 as 0.0 and
   * 0.1000000000000000055511151231257827 as 0.1. Only there: elsewhere (a webhook's row, whose hash deduplicates it)
   * numbers are read as they always were. The parser is made to call every fraction a BigDecimal, as Jackson's own
   * USE_BIG_DECIMAL_FOR_FLOATS keeps a double for a number no double holds (1e400 as Infinity).
   */
  private static final ObjectReader EXACT_TREES =
      MAPPER.readerFor(JsonNode.class)
          // Else 1.50 would be kept as 1.5, and 100.0 as 1E+2.
          .with(JsonNodeFactory.withExactBigDecimals(true));

  /** {@link #EXACT_TREES} for JSON that Parley wrote itself, its numbers perhaps longer than they came. */
  private static final ObjectReader STORED_TREES =
      JsonMapper.builder(new ShallowJsonFactory(MAX_WRITTEN_NUMBER_LENGTH))
          .build()
          .readerFor(JsonNode.class)
          .with(JsonNodeFactory.withExactBigDecimals(true));

  private Json() {}

  /**
   * A record's field that no component names is skipped, not buffered: Jackson buffers it for a record (a creator),
   * converting its numbers as it does, so that 1e9999999999, which no BigDecimal holds, refused a whole body or frame
   * for a field the server never reads. Skipped, it is still checked against the parsers' limits.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  private interface SkipUnknownFields {}

  /** One value within a document, as a tree (a frame's type or ref: a number there only has to be no string). */
  private static final ObjectReader VALUES =
      MAPPER.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * The top-level fields {@code names} of a document that should be a JSON object (a WebSocket frame: its type and
   * ref), as trees; null when it is valid JSON but no object. Every other value is only read past, as the wire records
   * skip a field they do not know: checked against the parsers' limits, its numbers never converted. The frame's own
   * record then reads the fields it knows from the text, numbers included.
   */
  public static Map<String, JsonNode> fieldsOf(String text, Set<String> names) throws JsonProcessingException {
    try (JsonParser parser = MAPPER.getFactory().createParser(text)) {
      JsonToken first = parser.nextToken();
      Map<String, JsonNode> fields = first == JsonToken.START_OBJECT ? new HashMap<>() : null;
      if (fields == null) {
        parser.skipChildren();
      } else {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          if (names.contains(name)) fields.put(name, VALUES.readTree(parser));
          else parser.skipChildren();
        }
      }
      if (first != null && parser.nextToken() != null) {
        throw new JsonParseException(parser, "more after the end of the value");
      }
      return fields;
    } catch (JsonProcessingException malformed) {
      throw malformed;
    } catch (IOException e) {
      throw new UncheckedIOException("text in memory is read without I/O", e);
    }
  }

  /**
   * JSON that Parley wrote from an exact tree and stored (a notification's data), read again with its numbers exact:
   * for its push, say, which would otherwise round them. Unchecked: what was read once reads again.
   */
  public static JsonNode readStoredExactly(String text) {
    try (JsonParser parser = STORED_TREES.getFactory().createParser(text)) {
      return STORED_TREES.readTree(decimalFractions(parser));
    } catch (IOException e) {
      throw new IllegalStateException("stored JSON was read by these same parsers before it was stored", e);
    }
  }

  /**
   * For a wire record's field that Parley keeps as the client wrote it: {@code @JsonDeserialize(using =
   * Json.ExactNumbers.class) JsonNode metadata} reads its numbers exactly (see {@link #EXACT_TREES}).
   */
  public static final class ExactNumbers extends StdDeserializer<JsonNode> {
    private static final ObjectReader WITHIN_A_DOCUMENT =
        EXACT_TREES.without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public ExactNumbers() {
      super(JsonNode.class);
    }

    @Override
    public JsonNode deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      return WITHIN_A_DOCUMENT.readTree(decimalFractions(parser));
    }
  }

  private static JsonParser decimalFractions(JsonParser parser) {
    return new JsonParserDelegate(parser) {
      @Override
      public NumberType getNumberType() throws IOException {
        return hasToken(JsonToken.VALUE_NUMBER_FLOAT) ? NumberType.BIG_DECIMAL : super.getNumberType();
      }
    };
  }

  /**
   * An optional field that must hold a JSON object, as its compact text: null when absent or null, else a 400 naming
   * the field. Its numbers are written as they were read: exactly, by {@link ExactNumbers}.
   */
  public static String objectText(JsonNode value, String field) {
    if (value == null || value.isNull()) return null;
    if (!value.isObject()) throw new ApiException(ApiError.BAD_REQUEST, "field '" + field + "' must be a JSON object");
    return write(value);
  }

  /**
   * Every parser it makes refuses, as it reads them, a document nested deeper than {@link #MAX_DEPTH}, a number longer
   * than its limit ({@link #MAX_NUMBER_LENGTH} for what comes in), and text (a value or a name) with an unpaired
   * surrogate. JSON's escapes can spell one (backslash, u, D800); Java strings hold it, but no encoding does: the
   * journal's serializer would refuse the event that carries it, and the entity writing it would stop.
   */
  private static final class ShallowJsonFactory extends JsonFactory {
    private final int maxNumberLength;

    ShallowJsonFactory(int maxNumberLength) {
      this.maxNumberLength = maxNumberLength;
    }

    private ShallowJsonFactory(ShallowJsonFactory source) {
      super(source, null);
      this.maxNumberLength = source.maxNumberLength;
    }

    @Override
    public JsonFactory copy() {
      return new ShallowJsonFactory(this);
    }

    @Override
    public JsonParser createParser(String content) throws IOException {
      return shallow(super.createParser(content));
    }

    @Override
    public JsonParser createParser(byte[] data) throws IOException {
      return shallow(super.createParser(data));
    }

    @Override
    public JsonParser createParser(byte[] data, int offset, int length) throws IOException {
      return shallow(super.createParser(data, offset, length));
    }

    @Override
    public JsonParser createParser(char[] content) throws IOException {
      return shallow(super.createParser(content));
    }

    @Override
    public JsonParser createParser(char[] content, int offset, int length) throws IOException {
      return shallow(super.createParser(content, offset, length));
    }

    @Override
    public JsonParser createParser(java.io.Reader reader) throws IOException {
      return shallow(super.createParser(reader));
    }

    @Override
    public JsonParser createParser(java.io.InputStream in) throws IOException {
      return shallow(super.createParser(in));
    }

    private JsonParser shallow(JsonParser parser) {
      return new JsonParserDelegate(parser) {
        @Override
        public JsonToken nextToken() throws IOException {
          return checked(super.nextToken());
        }

        @Override
        public JsonToken nextValue() throws IOException {
          return checked(super.nextValue());
        }

        /** The parser's own skip would read past this delegate, and past its checks: skipped values are checked too. */
        @Override
        public JsonParser skipChildren() throws IOException {
          if (!hasToken(JsonToken.START_OBJECT) && !hasToken(JsonToken.START_ARRAY)) return this;
          for (int open = 1; open > 0; ) {
            JsonToken token = nextToken();
            if (token == null) return this;
            if (token.isStructStart()) open++;
            else if (token.isStructEnd()) open--;
          }
          return this;
        }

        private JsonToken checked(JsonToken token) throws IOException {
          if (token == JsonToken.VALUE_STRING || token == JsonToken.FIELD_NAME) {
            if (hasUnpairedSurrogate(getTextCharacters(), getTextOffset(), getTextLength())) {
              throw new JsonParseException(
                  this, "text at " + getParsingContext().pathAsPointer() + " has an unpaired UTF-16 surrogate");
            }
          } else if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
            if (getTextLength() > maxNumberLength) {
              throw new JsonParseException(this, "number longer than " + maxNumberLength + " characters");
            }
          } else if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            // The root context is not a level; Jackson 2.13's contexts do not count their depth themselves.
            int depth = 0;
            for (var context = getParsingContext(); context.getParent() != null; context = context.getParent()) {
              if (++depth > MAX_DEPTH) throw new JsonParseException(this, "nested deeper than " + MAX_DEPTH + " levels");
            }
          }
          return token;
        }
      };
    }
  }

  /** Whether the text has a high surrogate not followed by a low one, or a low one not after a high one. */
  public static boolean hasUnpairedSurrogate(char[] text, int offset, int length) {
    for (int i = offset, end = offset + length; i < end; i++) {
      char c = text[i];
      if (!Character.isSurrogate(c)) continue;
      if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text[i + 1])) {
        i++;
      } else {
        return true;
      }
    }
    return false;
  }

  /** Jackson 2.13 turns {@code 42} or {@code true} into a string; a wire field typed as text must be text. */
  private static final class StrictStringDeserializer extends StdScalarDeserializer<String> {
    StrictStringDeserializer() {
      super(String.class);
    }

    @Override
    public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      if (parser.hasToken(JsonToken.VALUE_STRING)) return parser.getText();
      return (String) context.handleUnexpectedToken(String.class, parser);
    }
  }

  /**
   * Always JSON, whatever the request's {@code Accept} says: an answer negotiated away would come as a 406 after the
   * route had done its work (a message stored, say), and a client might then do it again.
   */
  public static <T> Marshaller<T, RequestEntity> marshaller() {
    return Marshaller.opaque(value -> HttpEntities.create(ContentTypes.APPLICATION_JSON, write(value)));
  }

  /** Parses a request body into {@code type}; a bad body becomes a 400 that names the offending field. */
  public static <T> T parse(String body, Class<T> type) {
    if (body == null || body.isBlank()) throw new ApiException(ApiError.BAD_REQUEST, "request body is empty");
    return bind(() -> MAPPER.readValue(body, type));
  }

  private interface Binding<T> {
    T bind() throws IOException;
  }

  private static <T> T bind(Binding<T> binding) {
    try {
      T value = binding.bind();
      if (value == null) throw new ApiException(ApiError.BAD_REQUEST, "request body must be a JSON object");
      return value;
    } catch (JsonMappingException e) {
      // A record that refuses its own fields says why better than Jackson's wrapping would.
      if (e.getCause() instanceof ApiException refused) throw refused;
      String path =
          e.getPath().stream()
              .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
              .collect(Collectors.joining("."));
      String what = e.getOriginalMessage() == null ? "invalid value" : e.getOriginalMessage().split("\n")[0];
      throw new ApiException(
          ApiError.BAD_REQUEST, path.isEmpty() ? "malformed JSON: " + brief(what) : "field '" + path + "': " + brief(what));
    } catch (IOException e) {
      throw new ApiException(ApiError.BAD_REQUEST, "malformed JSON: " + brief(e.getMessage()));
    }
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (IOException e) {
      throw new IllegalStateException("Wire records always serialize", e);
    }
  }

  /** Jackson's messages can quote long stretches of input; people need the first line, not an echo of the body. */
  public static String brief(String message) {
    return Texts.shortened(message == null ? "" : message.split("\n")[0], 200);
  }
}
