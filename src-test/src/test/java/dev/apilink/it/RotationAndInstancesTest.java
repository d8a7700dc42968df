package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import dev.apilink.testkit.echo.EchoBackend;
import dev.apilink.testkit.gateway.ApimGateway;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signing-key rotation under continuous traffic, and several instances of one site: both against
 * the testkit gateway's {@code validate-jwt}, which reads the site's published keys.
 */
class RotationAndInstancesTest {

  /** The gateway's clock: the system's, moved ahead when a test lets time pass. */
  static final class GatewayClock extends Clock {
    volatile Duration ahead = Duration.ZERO;

    @Override
    public Instant instant() {
      return Instant.now().plus(ahead);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  static final Duration RELOAD = Duration.ofSeconds(20);

  @TempDir Path dir;
  EchoBackend backend;
  GatewayClock clock = new GatewayClock();
  ApimGateway gateway;
  Path keys;
  List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    backend = EchoBackend.start();
    gateway = ApimGateway.builder().api("sample", "api", backend.url()).clock(clock).start();
    // Writable by its owner only whatever the umask: ApiLink warns about a directory others write.
    Path shared = Files.createDirectories(dir.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    keys = shared.resolve("signing-keys.jwk.json");
    replace(keys, Keys.set("k1"));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable resource : closing) {
      resource.close();
    }
    gateway.close();
    backend.close();
  }

  static void replace(Path file, String content) throws Exception {
    Path temporary = Files.createTempFile(file.getParent(), "keys", ".tmp");
    Files.writeString(temporary, content);
    Files.move(
        temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  LinkedSite link(ServletContainer.Kind kind, String name, Consumer<ObjectNode> change)
      throws Exception {
    LinkedSite site = LinkedSite.link(kind, dir.resolve(name), gateway, change);
    closing.add(site);
    gateway.addApiToProduct(site.productId, "sample");
    return site;
  }

  ObjectNode withSharedKeys(ObjectNode config) {
    config.putObject("token").put("signingKeyFile", keys.toString());
    return config;
  }

  /** Requests through {@code site} from several threads until stopped; collects every non-200. */
  final class Traffic implements AutoCloseable {
    final AtomicBoolean running = new AtomicBoolean(true);
    final ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
    final ExecutorService threads = Executors.newFixedThreadPool(4);
    final List<Future<Integer>> sent = new ArrayList<>();

    Traffic(LinkedSite site) {
      for (int i = 0; i < 4; i++) {
        sent.add(
            threads.submit(
                () -> {
                  int count = 0;
                  while (running.get()) {
                    HttpResponse<String> response = site.get("/api/traffic");
                    count++;
                    if (response.statusCode() != 200) {
                      refused.add(response.statusCode() + " " + response.body());
                    }
                  }
                  return count;
                }));
      }
    }

    int stop() throws Exception {
      running.set(false);
      int total = 0;
      for (Future<Integer> count : sent) {
        total += count.get();
      }
      return total;
    }

    @Override
    public void close() {
      running.set(false);
      threads.shutdownNow();
    }
  }

  Set<String> kidsSeenSince(int index) throws Exception {
    Set<String> kids = new TreeSet<>();
    List<EchoBackend.Received> received = backend.received();
    for (EchoBackend.Received request : received.subList(index, received.size())) {
      String token = request.header("Authorization").get(0).substring("Bearer ".length());
      kids.add(SignedJWT.parse(token).getHeader().getKeyID());
    }
    return kids;
  }

  @Test
  void aFullKeyRotationUnderContinuousTrafficRefusesNoRequest() throws Exception {
    LinkedSite site = link(ServletContainer.Kind.TOMCAT, "site", this::withSharedKeys);
    try (LogWatch log = new LogWatch();
        Traffic traffic = new Traffic(site)) {
      backend.awaitReceived(100, RELOAD);

      // 1. Publish the next key; k1 still signs.
      replace(keys, Keys.set("k1", "k2"));
      log.await("ApiLink reloaded", RELOAD);
      int published = backend.received().size();
      backend.awaitReceived(published + 100, RELOAD);
      // 2. Wait until the gateway may re-read the keys: it does so on an unknown kid, but no sooner
      //    than 5 minutes after its last read (APIM's floor), which has now passed. (Moving its
      //    clock much further would expire the tokens in its eyes: the linked policy forgives 60 s
      //    of clock skew, so k1's tokens, minted seconds ago for 300 s, are still valid.)
      clock.ahead = clock.ahead.plus(Duration.ofMinutes(5).plusSeconds(1));
      // 3. Switch to k2: tokens signed with k1 stay valid until they expire.
      ObjectNode switched = withSharedKeys(site.site.linkedTo(gateway.url()));
      ((ObjectNode) switched.get("token")).put("signingKeyId", "k2");
      ((ObjectNode) switched.get("environments").get("production").get("backend"))
          .put("subscriptionKey", "${file:" + site.keyFile + "}");
      site.site.replaceConfig(switched.toString());
      log.await("kid is \"k2\"", RELOAD);
      int afterSwitch = backend.received().size();
      backend.awaitReceived(afterSwitch + 100, RELOAD);
      // 4. Retire k1 (an operator waits one token lifetime first; here no k1 token is left).
      replace(keys, Keys.set("k2"));
      log.await("ApiLink reloaded", RELOAD);
      int retired = backend.received().size();
      backend.awaitReceived(retired + 100, RELOAD);

      int sent = traffic.stop();
      assertEquals(List.of(), List.copyOf(traffic.refused));
      assertEquals(sent, backend.received().size());
      assertEquals(Set.of("k1", "k2"), kidsSeenSince(0));
      assertEquals(Set.of("k2"), kidsSeenSince(retired + 10));
    }
  }

  /**
   * A site without {@code token.signingKeyFile} makes a new key each time it starts: once the
   * gateway has read its keys, the restarted site's tokens are refused until the gateway may read
   * them again, 5 minutes after its last read, as API Management does (gateway.md, the README's
   * Troubleshooting).
   */
  @Test
  void aRestartedSiteWithoutAKeyFileIsRefusedUntilTheGatewayMayReadItsKeysAgain() throws Exception {
    LinkedSite site = link(ServletContainer.Kind.TOMCAT, "site", config -> {});
    assertEquals(200, site.get("/api/before").statusCode());

    ServletContainer container = site.site.container();
    container.undeploy();
    assertTrue(container.deploy(site.site.webapp(), "", Map.of()), container::deploymentFailure);

    HttpResponse<String> refused = site.get("/api/restarted");
    assertEquals(401, refused.statusCode());
    assertEquals(LinkingStoryTest.INVALID_TOKEN, refused.body());
    // Past the floor, within the 60 s of clock skew that the linked policy forgives: the new
    // token, minted for 300 s, is still valid in the gateway's eyes.
    clock.ahead = clock.ahead.plus(Duration.ofMinutes(5).plusSeconds(1));
    assertEquals(200, site.get("/api/later").statusCode());
  }

  /** The warning about a signing key file that others may read ({@code rw-r--r--}). */
  static String readableByOthers(Path keys) {
    return "ApiLink: the signing key file "
        + keys
        + " is readable by users other than its owner (rw-r--r--); it holds the private key that"
        + " signs the gateway's tokens. Make it readable by its owner only: chmod 600 "
        + keys;
  }

  @Test
  void aSigningKeyFileReadableByOthersIsWarnedAboutOnceAtStartUp() throws Exception {
    Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-r--r--"));
    try (LogWatch log = new LogWatch()) {
      link(ServletContainer.Kind.JETTY, "site", this::withSharedKeys);

      assertEquals(List.of(readableByOthers(keys)), log.all("signing key file"));
      // Not "java.util.Optional.ifPresent", as a reviewer found it in Tomcat's log.
      assertEquals(List.of("dev.apilink.ApiLinkFilter.init"), log.sources("signing key file"));
    }
  }

  /**
   * A rotation that replaces the key file with one that others may read (written by a tool with a
   * umask of 022, then moved over the old one): warned about when the change is applied, as at
   * start-up. Until session 38 only the start-up's file was checked.
   */
  @Test
  void aSigningKeyFileReplacedByOneReadableByOthersIsWarnedAboutWhenReloaded() throws Exception {
    LinkedSite site = link(ServletContainer.Kind.TOMCAT, "site", this::withSharedKeys);
    try (LogWatch log = new LogWatch()) {
      Path temporary = Files.createTempFile(keys.getParent(), "keys", ".tmp");
      Files.writeString(temporary, Keys.set("k1", "k2"));
      Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(
          temporary, keys, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

      log.await("signing key file", RELOAD);
      assertEquals(List.of(readableByOthers(keys)), log.warnings("signing key file"));
      assertEquals(List.of("dev.apilink.ApiLinkFilter.reload"), log.sources("signing key file"));
      assertEquals(200, site.get("/api/after").statusCode());
    }
  }

  /**
   * An instance without {@code token.signingKeyFile} signs with a key of its own, which a second
   * instance cannot share: the README's check step tells operators to look for this WARNING.
   */
  @Test
  void anInstanceThatGeneratedItsOwnSigningKeyIsWarnedAboutAtStartUp() throws Exception {
    String generated =
        "ApiLink: no token.signingKeyFile configured; this instance generated its own signing key."
            + " It makes a new one at each start, whose tokens the gateway refuses (401) until it"
            + " reads the site's keys again, up to 5 minutes later; several instances serving one"
            + " site need one shared key file, or the gateway refuses the tokens of all but one."
            + " Make one with the keygen command.";
    try (LogWatch log = new LogWatch()) {
      link(ServletContainer.Kind.JETTY, "shared", this::withSharedKeys);
      assertEquals(List.of(), log.all("signingKeyFile"));

      LinkedSite alone = link(ServletContainer.Kind.TOMCAT, "alone", config -> {});
      assertEquals(200, alone.get("/api/a").statusCode());

      assertEquals(List.of(generated), log.warnings("signingKeyFile"));
      assertEquals(List.of(generated), log.all("signingKeyFile"));
    }
  }

  @Test
  void aSigningKeyOfAnAlgorithmApiManagementDoesNotDocumentIsWarnedAboutAtStartUp()
      throws Exception {
    Files.writeString(
        keys,
        new RSAKeyGenerator(2048)
            .keyID("rs384")
            .algorithm(JWSAlgorithm.RS384)
            .generate()
            .toJSONString());
    try (LogWatch log = new LogWatch()) {
      link(ServletContainer.Kind.TOMCAT, "site", this::withSharedKeys);

      assertEquals(1, log.all("signs with RS384").size(), log.all("ApiLink").toString());
      assertEquals(List.of("dev.apilink.ApiLinkFilter.init"), log.sources("signs with RS384"));
    }
  }

  @Test
  void twoInstancesSharingTheKeyFileAreAcceptedInterchangeably() throws Exception {
    LinkedSite first = link(ServletContainer.Kind.TOMCAT, "one", this::withSharedKeys);
    String sharedHostname = first.site.container().url().toString();
    LinkedSite second =
        link(
            ServletContainer.Kind.JETTY,
            "two",
            config -> withSharedKeys(config).put("hostname", sharedHostname));

    for (int i = 0; i < 10; i++) {
      assertEquals(200, first.get("/api/a").statusCode());
      assertEquals(200, second.get("/api/b").statusCode());
    }
    assertEquals(first.productId, second.productId, "one site, one product");
  }

  @Test
  void anInstanceWithItsOwnGeneratedKeyIsRefusedWhichIsWhyTheKeyMustBeShared() throws Exception {
    LinkedSite first = link(ServletContainer.Kind.TOMCAT, "one", this::withSharedKeys);
    String sharedHostname = first.site.container().url().toString();
    LinkedSite loner =
        link(
            ServletContainer.Kind.JETTY, "alone", config -> config.put("hostname", sharedHostname));

    assertEquals(200, first.get("/api/a").statusCode());
    HttpResponse<String> refused = loner.get("/api/b");

    assertEquals(401, refused.statusCode());
    assertEquals(LinkingStoryTest.INVALID_TOKEN, refused.body());
    assertEquals(1, backend.received().size());
  }
}
