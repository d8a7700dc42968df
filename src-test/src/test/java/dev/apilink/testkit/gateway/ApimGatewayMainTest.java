package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.testkit.echo.EchoBackend;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: usage, exit codes, and a gateway run from files. */
class ApimGatewayMainTest {

  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();

  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @TempDir Path directory;

  @AfterAll
  static void stop() throws Exception {
    client.close();
    backend.close();
  }

  private int run(String... args) {
    return ApimGatewayMain.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** Runs the gateway on another thread; {@code started} gets it once it listens. */
  private CompletableFuture<Integer> runInBackground(
      CompletableFuture<ApimGateway> started, String... args) {
    return CompletableFuture.supplyAsync(
        () ->
            ApimGatewayMain.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                started::complete));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private void assertUsageError(String error, String... args) {
    assertEquals(2, run(args));
    assertEquals("error: " + error + "\n\n" + ApimGatewayMain.USAGE, err());
    assertEquals("", out());
  }

  @Test
  void withoutFilesItPrintsUsageAndExits2() {
    assertUsageError("give at least one --config or --arm file");
  }

  @Test
  void anUnknownOptionPrintsUsageAndExits2() {
    assertUsageError("unknown option \"--verbose\"", "--config", "g.json", "--verbose");
  }

  @Test
  void anOptionWithoutValuePrintsUsageAndExits2() {
    assertUsageError("--config needs a value", "--config");
    err.reset();
    assertUsageError("--arm needs a value", "--arm", "--port", "1");
  }

  @Test
  void aBadPortPrintsUsageAndExits2() {
    assertUsageError(
        "--port must be an integer from 0 to 65535 (was \"http\")",
        "--config",
        "g.json",
        "--port",
        "http");
  }

  @Test
  void aPortOrHostGivenTwicePrintsUsageAndExits2() {
    // A script that appends its own --port to a command that has one must not get either silently.
    assertUsageError(
        "--port is given more than once", "--arm", "a.json", "--port", "0", "--port", "8081");
    err.reset();
    assertUsageError(
        "--host is given more than once", "--arm", "a.json", "--host", "0.0.0.0", "--host", "::1");
  }

  @Test
  void optionsTakeTheirValueAfterAnEqualsSignWithTheSameRefusals() {
    // As the drop-in JAR's commands do: a script may write --port=8081.
    assertUsageError(
        "--port must be an integer from 0 to 65535 (was \"http\")", "--arm=a.json", "--port=http");
    err.reset();
    assertUsageError("--port is given more than once", "--arm=a.json", "--port=0", "--port", "1");
    err.reset();
    assertUsageError(
        "--host is given more than once", "--arm", "a.json", "--host=::1", "--host=::1");
    err.reset();
    assertUsageError("--config needs a value", "--config=");
    err.reset();
    assertUsageError("--host needs a value", "--arm=a.json", "--host=");
    err.reset();
    assertUsageError("unknown option \"--verbose\"", "--arm=a.json", "--verbose=1");
    err.reset();
    assertUsageError("--help takes no value", "--help=1");
  }

  @Test
  void aFileAndAPortGivenWithAnEqualsSignAreUsed() throws Exception {
    Path file = directory.resolve("gateway.json");
    Files.writeString(file, "{}");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();

      assertEquals(1, run("--config=" + file, "--host=127.0.0.1", "--port=" + port));
      assertTrue(err().startsWith("cannot listen on 127.0.0.1:" + port + " ("), err());
    }
  }

  @Test
  void aStrayArgumentPrintsUsageAndExits2() {
    assertUsageError("unexpected argument \"g.json\"", "g.json");
  }

  @Test
  void helpPrintsUsageAndExits0() {
    assertEquals(0, run("--help"));
    assertEquals(ApimGatewayMain.USAGE, out());
    assertEquals("", err());
  }

  @Test
  void aDescriptionWithProblemsIsReportedAndExits1() throws Exception {
    Path file = directory.resolve("gateway.json");
    Files.writeString(file, "{\"apis\": [{\"name\": \"a\"}]}");

    assertEquals(1, run("--config", file.toString()));
    assertEquals(
        "Invalid gateway description "
            + file
            + " (2 problems):\n"
            + "  - apis[0].path: missing\n"
            + "  - apis[0].serviceUrl: missing\n",
        err());
  }

  @Test
  void aMissingFileIsReportedAndExits1() {
    Path missing = directory.resolve("missing.json");

    assertEquals(1, run("--arm", missing.toString()));
    assertTrue(err().startsWith("cannot read " + missing + " ("), err());
  }

  @Test
  void twoDescriptionsWithDifferentPortsAreRefusedNamingBoth() throws Exception {
    // The last one's port was taken silently; a gateway started for the other's clients.
    Path first = directory.resolve("first.json");
    Files.writeString(first, "{\"port\": 8081}");
    Path second = directory.resolve("second.json");
    Files.writeString(second, "{\"port\": 8082}");

    // A gateway that starts anyway is closed at once, so that the run ends.
    int exitCode =
        ApimGatewayMain.run(
            new String[] {"--config", first.toString(), "--config", second.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            ApimGateway::close);

    assertEquals(1, exitCode);
    assertEquals(
        "the gateway descriptions "
            + first
            + " and "
            + second
            + " give different ports (8081 and 8082); give \"port\" in one of them, or choose"
            + " with --port\n",
        err());
    assertEquals("", out());
  }

  @Test
  void twoDescriptionsWithDifferentPortsStartOnTheOneThatPortChooses() throws Exception {
    Path first = directory.resolve("first.json");
    Files.writeString(first, "{\"port\": 8081}");
    Path second = directory.resolve("second.json");
    Files.writeString(second, "{\"port\": 8082}");
    CompletableFuture<ApimGateway> started = new CompletableFuture<>();
    CompletableFuture<Integer> exitCode =
        runInBackground(
            started, "--config", first.toString(), "--config", second.toString(), "--port", "0");

    ApimGateway gateway = started.get(20, TimeUnit.SECONDS);
    int port = gateway.port();
    gateway.close();

    assertEquals(0, exitCode.get(20, TimeUnit.SECONDS));
    assertTrue(port != 8081 && port != 8082, "port " + port);
    assertEquals("", err());
  }

  @Test
  void aClockOffsetThatIsNotAWholeNumberOfSecondsPrintsUsageAndExits2() {
    assertUsageError(
        "--clock-offset must be a whole number of seconds, such as 300 or -300 (was \"5m\")",
        "--arm",
        "a.json",
        "--clock-offset",
        "5m");
  }

  @Test
  void aClockOffsetRunsTheGatewaysClockThatFarFromTheMachines() throws Exception {
    Path file = directory.resolve("gateway.json");
    Files.writeString(file, "{}");
    CompletableFuture<ApimGateway> started = new CompletableFuture<>();
    CompletableFuture<Integer> exitCode =
        runInBackground(started, "--config", file.toString(), "--clock-offset=-3600");

    ApimGateway gateway = started.get(20, TimeUnit.SECONDS);
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    TestClient.Reply reply = client.get(gateway.url(), "/api/x", h -> {});
    Instant after = Instant.now();
    gateway.close();

    assertEquals(0, exitCode.get(20, TimeUnit.SECONDS));
    assertEquals(404, reply.status());
    Instant date = Instant.ofEpochMilli(reply.headers().getDateField("Date"));
    assertTrue(
        !date.isBefore(before.minusSeconds(3600)) && !date.isAfter(after.minusSeconds(3600)),
        "Date " + date + " is not an hour before " + before + ".." + after);
  }

  @Test
  void aDirectoryIsReportedWithTheReasonAsTheDropInJarSaysItAndExits1() {
    // It said "(java.io.IOException: Is a directory)" where link and keygen say
    // "(IOException: Is a directory)".
    assertEquals(1, run("--config", directory.toString()));
    assertEquals("cannot read " + directory + " (IOException: Is a directory)\n", err());
    err.reset();
    Path missing = directory.resolve("missing.json");
    assertEquals(1, run("--arm", missing.toString()));
    assertEquals("cannot read " + missing + " (NoSuchFileException: " + missing + ")\n", err());
  }

  @Test
  void aPortInUseIsReportedAndExits1() throws Exception {
    Path file = directory.resolve("gateway.json");
    Files.writeString(file, "{}");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();

      assertEquals(1, run("--config", file.toString(), "--port", Integer.toString(port)));
      assertTrue(err().startsWith("cannot listen on 127.0.0.1:" + port + " ("), err());
    }
  }

  @Test
  void anOpenProductWithAPolicyAndASuspendedSubscriptionArePrintedAsSuch() throws Exception {
    Path file = directory.resolve("gateway.json");
    Files.writeString(
        file,
        """
        {"apis": [{"name": "sample", "path": "api", "serviceUrl": "%s"}],
         "products": [{"id": "public", "apis": ["sample"], "subscriptionRequired": false,
                       "policy": "<policies/>"}],
         "subscriptions": [{"id": "old", "scope": "/products/public", "state": "suspended",
                            "primaryKey": "primary-key-2", "secondaryKey": "secondary-key-2"}]}
        """
            .formatted(backend.url()));
    CompletableFuture<ApimGateway> started = new CompletableFuture<>();
    CompletableFuture<Integer> exitCode = runInBackground(started, "--config", file.toString());

    ApimGateway gateway = started.get(20, TimeUnit.SECONDS);
    URI url = gateway.url();
    gateway.close();

    assertEquals(0, exitCode.get(20, TimeUnit.SECONDS));
    assertEquals(
        "APIM gateway listening on "
            + url
            + "\n"
            + "API \"sample\": /api -> "
            + backend.url()
            + "\n"
            + "product \"public\" (open): APIs [sample], with a policy\n"
            + "subscription \"old\" (product \"public\", suspended)\n"
            + "  primary key:   primary-key-2\n"
            + "  secondary key: secondary-key-2\n"
            + "Press Ctrl-C to stop.\n",
        out());
  }

  /** Found by review: the client's bare 502 "Bad Gateway" was all there was to go by. */
  @Test
  void anApiThatDoesNotAnswerIsSaidInTheLog() throws Exception {
    int closed;
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closed = taken.getLocalPort();
    }
    Path file = directory.resolve("gateway.json");
    Files.writeString(
        file,
        """
        {"apis": [{"name": "sample", "path": "api", "serviceUrl": "http://127.0.0.1:%d"}],
         "products": [{"id": "open", "apis": ["sample"], "subscriptionRequired": false}]}
        """
            .formatted(closed));
    CompletableFuture<ApimGateway> started = new CompletableFuture<>();
    CompletableFuture<Integer> exitCode = runInBackground(started, "--config", file.toString());

    ApimGateway gateway = started.get(20, TimeUnit.SECONDS);
    TestClient.Reply reply = client.get(gateway.url(), "/api/x", headers -> {});
    gateway.close();

    assertEquals(502, reply.status());
    assertEquals(0, exitCode.get(20, TimeUnit.SECONDS));
    String expected =
        "GET /api/x -> 502: the API \"sample\" at http://127.0.0.1:"
            + closed
            + " did not answer: java.net.ConnectException: Connection refused";
    assertTrue(out().contains(expected), out());
  }

  @Test
  void itRunsTheDescribedGatewayAndPrintsItsUrlAndKeysUntilStopped() throws Exception {
    Path file = directory.resolve("gateway.json");
    Files.writeString(
        file,
        """
        {"apis": [{"name": "sample", "path": "api", "serviceUrl": "%s"},
                  {"name": "extra", "path": "extra", "serviceUrl": "%s"}],
         "products": [{"id": "swa-linked", "apis": ["sample"]}],
         "subscriptions": [{"id": "swa-sub", "scope": "/products/swa-linked",
                            "primaryKey": "primary-key-1", "secondaryKey": "secondary-key-1"},
                           {"id": "old-sub", "scope": "/products/swa-linked", "state": "suspended",
                            "primaryKey": "old-key-1", "secondaryKey": "old-key-2"}]}
        """
            .formatted(backend.url(), backend.url()));
    CompletableFuture<ApimGateway> started = new CompletableFuture<>();
    CompletableFuture<Integer> exitCode = runInBackground(started, "--config", file.toString());

    ApimGateway gateway = started.get(20, TimeUnit.SECONDS);
    TestClient.Reply reply =
        client.get(
            gateway.url(),
            "/api/x",
            headers -> headers.put("Ocp-Apim-Subscription-Key", "secondary-key-1"));
    TestClient.Reply noKey = client.get(gateway.url(), "/api/x?subscription-key=wrong", h -> {});
    TestClient.Reply notInTheProduct =
        client.get(
            gateway.url(),
            "/extra/x",
            headers -> headers.put("Ocp-Apim-Subscription-Key", "primary-key-1"));
    TestClient.Reply suspended =
        client.get(
            gateway.url(),
            "/api/x",
            headers -> headers.put("Ocp-Apim-Subscription-Key", "old-key-1"));
    TestClient.Reply nowhere = client.get(gateway.url(), "/other", h -> {});
    URI url = gateway.url();
    gateway.close();

    assertEquals(200, reply.status());
    assertEquals(401, noKey.status());
    assertEquals(401, notInTheProduct.status());
    assertEquals(401, suspended.status());
    assertEquals(404, nowhere.status());
    assertEquals(0, exitCode.get(20, TimeUnit.SECONDS));
    assertEquals(
        "APIM gateway listening on "
            + url
            + "\n"
            + "API \"sample\": /api -> "
            + backend.url()
            + "\n"
            + "API \"extra\": /extra -> "
            + backend.url()
            + "\n"
            + "product \"swa-linked\" (subscription required): APIs [sample]\n"
            + "subscription \"swa-sub\" (product \"swa-linked\", active)\n"
            + "  primary key:   primary-key-1\n"
            + "  secondary key: secondary-key-1\n"
            + "subscription \"old-sub\" (product \"swa-linked\", suspended)\n"
            + "  primary key:   old-key-1\n"
            + "  secondary key: old-key-2\n"
            + "Press Ctrl-C to stop.\n"
            // Each request and why it was refused (a reviewer could not tell), never the key.
            + "GET /api/x -> API \"sample\" (subscription swa-sub)\n"
            + "GET /api/x -> 401 (no subscription has this key): Access denied due to invalid"
            + " subscription key. Make sure to provide a valid key for an active subscription.\n"
            + "GET /extra/x -> 401 (the key's subscription swa-sub is for the product swa-linked,"
            + " which does not hold the API \"extra\"): Access denied due to invalid subscription"
            + " key. Make sure to provide a valid key for an active subscription.\n"
            + "GET /api/x -> 401 (the key's subscription old-sub is not active): Access denied due"
            + " to invalid subscription key. Make sure to provide a valid key for an active"
            + " subscription.\n"
            + "GET /other -> 404: no API's URL suffix starts this path\n",
        out());
  }
}
