package io.parley.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker/parley-start.sh, the image's entry point and the cluster test's way to start a node, run for real with a
 * stand-in {@code java} on the PATH that prints the command line it was given.
 */
class StartScriptTest {
  private static final Path SCRIPT = Path.of("docker", "parley-start.sh").toAbsolutePath();

  record Run(int exitCode, String output) {}

  private static Run run(Path bin, Map<String, String> environment) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder("sh", SCRIPT.toString(), "--an-argument").redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().put("PATH", bin + ":/usr/bin:/bin");
    builder.environment().putAll(environment);
    Process process = builder.start();
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  private static Path fakeJava(Path dir) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }

  @Test
  void startsTheJarWithTheChosenConfigurationAndContainerAwareHeap(@TempDir Path home) throws Exception {
    Files.createDirectories(home.resolve("conf"));
    Files.writeString(home.resolve("parley.jar"), "");
    Files.writeString(home.resolve("conf/kubernetes.conf"), "");
    Run run =
        run(
            fakeJava(home),
            Map.of("PARLEY_HOME", home.toString(), "PARLEY_CONFIG", "kubernetes.conf", "JAVA_OPTS", "-Xss1m"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    List<String> args = run.output().lines().toList();
    assertThat(args).contains("-XX:MaxRAMPercentage=70", "-XX:+UseContainerSupport", "-XX:+ExitOnOutOfMemoryError");
    assertThat(args)
        .containsSubsequence(
            "-Dconfig.file=" + home.resolve("conf/kubernetes.conf"), "-Xss1m", "-jar", home.resolve("parley.jar").toString(),
            "--an-argument");
  }

  @Test
  void aRepositoryCheckoutRunsTheBuiltJarWithApplicationConfByDefault(@TempDir Path home) throws Exception {
    Files.createDirectories(home.resolve("target"));
    Files.createDirectories(home.resolve("conf"));
    Files.writeString(home.resolve("target/parley.jar"), "");
    Files.writeString(home.resolve("conf/application.conf"), "");
    Run run = run(fakeJava(home), Map.of("PARLEY_HOME", home.toString()));
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output().lines().toList())
        .contains("-Dconfig.file=" + home.resolve("conf/application.conf"), home.resolve("target/parley.jar").toString());
  }

  @Test
  void refusesToStartWithoutAJarOrAConfiguration(@TempDir Path home) throws Exception {
    Run noJar = run(fakeJava(home), Map.of("PARLEY_HOME", home.toString()));
    assertThat(noJar.exitCode()).isEqualTo(2);
    assertThat(noJar.output()).contains("no parley.jar");
    Files.writeString(home.resolve("parley.jar"), "");
    Run noConfig = run(fakeJava(home), Map.of("PARLEY_HOME", home.toString(), "PARLEY_CONFIG", "missing.conf"));
    assertThat(noConfig.exitCode()).isEqualTo(2);
    assertThat(noConfig.output()).contains("no configuration file");
  }
}
