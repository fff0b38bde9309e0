package io.parley.push;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.typesafe.config.Config;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The push gateway a node's configuration asks for: FCM with the service account of {@code
 * GOOGLE_APPLICATION_CREDENTIALS}, or of {@code FIREBASE_PROJECT_ID}, {@code FIREBASE_CLIENT_EMAIL} and {@code
 * FIREBASE_PRIVATE_KEY}; the log when there are none.
 */
public final class PushGateways {
  private static final Logger log = LoggerFactory.getLogger(PushGateways.class);

  private PushGateways() {}

  public static PushGateway fromConfig(Config root) {
    Config firebase = root.getConfig("parley.push.firebase");
    String file = firebase.getString("credentials-file");
    String projectId = firebase.getString("project-id");
    String clientEmail = firebase.getString("client-email");
    String privateKey = firebase.getString("private-key");
    int threads = firebase.getInt("threads");
    try {
      if (!file.isBlank()) {
        GoogleCredentials credentials;
        try (InputStream in = new FileInputStream(file)) {
          credentials = GoogleCredentials.fromStream(in);
        }
        String project = !projectId.isBlank() ? projectId : projectOf(credentials);
        log.info("Push: FCM for project {} with the credentials of {}", project, file);
        return new FcmPushGateway(credentials, project, null, threads);
      }
      if (!projectId.isBlank() || !clientEmail.isBlank() || !privateKey.isBlank()) {
        if (projectId.isBlank() || clientEmail.isBlank() || privateKey.isBlank()) {
          throw new IllegalStateException(
              "Firebase credentials are incomplete: set all of FIREBASE_PROJECT_ID, FIREBASE_CLIENT_EMAIL and "
                  + "FIREBASE_PRIVATE_KEY, or GOOGLE_APPLICATION_CREDENTIALS, or none of them");
        }
        log.info("Push: FCM for project {} as {}", projectId, clientEmail);
        return new FcmPushGateway(serviceAccount(clientEmail, privateKey), projectId, null, threads);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Firebase credentials cannot be read: " + e.getMessage(), e);
    }
    log.warn("Push: DISABLED. No Firebase credentials (GOOGLE_APPLICATION_CREDENTIALS, or FIREBASE_PROJECT_ID, "
        + "FIREBASE_CLIENT_EMAIL and FIREBASE_PRIVATE_KEY): pushes are written to this log instead of sent.");
    return new LoggingPushGateway();
  }

  /** Environment variables often carry the PEM key with its newlines escaped, as the seeds' .env files do. */
  static GoogleCredentials serviceAccount(String clientEmail, String privateKey) throws IOException {
    return ServiceAccountCredentials.fromPkcs8(null, clientEmail, privateKey.replace("\\n", "\n"), null, List.of());
  }

  private static String projectOf(GoogleCredentials credentials) {
    if (credentials instanceof ServiceAccountCredentials account && account.getProjectId() != null) {
      return account.getProjectId();
    }
    throw new IllegalStateException(
        "GOOGLE_APPLICATION_CREDENTIALS names no project_id: set FIREBASE_PROJECT_ID as well");
  }
}
