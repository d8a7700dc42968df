package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Generated client headers against what DESIGN.md and docs/proxy.md say the gateway receives: the
 * configured key once, ApiLink's token once, no principal the client wrote, and every end-to-end
 * field the client sent that ApiLink does not own, unchanged and in order.
 *
 * <p>{@value #CASES} header sets from a fixed seed; another run: {@code -Dapilink.headers.seed=N
 * -Dapilink.headers.cases=1000000}.
 */
class GatewayHeaderProperties {

  static final int CASES = Integer.getInteger("apilink.headers.cases", 5000);
  static final long SEED = Long.getLong("apilink.headers.seed", 20261128L);

  private static final String KEY = "the-configured-key";
  private static final String TOKEN = "Bearer apilinks-token";

  private static final ProxyHeaders.Added ADDED =
      new ProxyHeaders.Added(
          "Ocp-Apim-Subscription-Key",
          KEY,
          "Authorization",
          TOKEN,
          null,
          "https://site.example/api/x",
          "10.0.0.7",
          "https",
          "site.example",
          "1.1 apilink",
          false,
          "JSESSIONID");

  /**
   * The names that docs/proxy.md says ApiLink owns, written from its text: hop-by-hop fields, the
   * key, the token header, the identity fields, the fields it sets, and the URL, address and user
   * claims; compared without case and with {@code _} read as {@code -}, as CGI servers read them.
   */
  private static final Set<String> OWNED =
      Set.of(
          "connection",
          "keep-alive",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "proxy-connection",
          "proxy-authenticate",
          "proxy-authorization",
          "ocp-apim-subscription-key",
          "authorization",
          "x-ms-original-url",
          "x-forwarded-host",
          "x-forwarded-proto",
          "x-forwarded-port",
          "x-forwarded-prefix",
          "x-real-ip",
          "forwarded",
          "x-original-url",
          "x-rewrite-url",
          "x-forwarded-uri",
          "x-original-uri",
          "x-envoy-original-path",
          "x-original-host",
          "x-host",
          "x-forwarded-server",
          "x-forwarded-ssl",
          "x-forwarded-scheme",
          "x-url-scheme",
          "front-end-https",
          "true-client-ip",
          "x-client-ip",
          "client-ip",
          "x-cluster-client-ip",
          "cf-connecting-ip",
          "fastly-client-ip",
          "x-forwarded-user",
          "x-forwarded-email",
          "x-forwarded-preferred-username",
          "x-forwarded-groups",
          "x-auth-request-user",
          "x-auth-request-email",
          "x-auth-request-preferred-username",
          "x-auth-request-groups",
          "x-remote-user",
          "x-remote-group",
          "remote-user",
          "x-webauth-user",
          "host",
          "content-length",
          "expect",
          // Appended to or rewritten: checked on their own below.
          "x-forwarded-for",
          "via",
          "cookie",
          "proxy");

  /** The owned names that the gateway gets ApiLink's own field of. */
  private static final Set<String> SET_BY_APILINK =
      Set.of(
          "ocp-apim-subscription-key",
          "authorization",
          "x-ms-original-url",
          "x-forwarded-for",
          "x-forwarded-proto",
          "x-forwarded-host",
          "via",
          "cookie");

  private static String normalized(String name) {
    return name.toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static boolean owned(String name, Set<String> connectionOptions) {
    String normal = normalized(name);
    return OWNED.contains(normal)
        || normal.startsWith("x-ms-client-principal")
        || normal.startsWith("x-ms-token-")
        || connectionOptions.contains(name.toLowerCase(Locale.ROOT))
        || connectionOptions.contains(normal);
  }

  private static Set<String> connectionOptions(List<Headers.Field> client) {
    Set<String> options = new HashSet<>();
    for (Headers.Field field : client) {
      if (field.name().equalsIgnoreCase("connection")) {
        for (String option : field.value().split(",")) {
          if (!option.isBlank()) {
            options.add(option.strip().toLowerCase(Locale.ROOT));
          }
        }
      }
    }
    return options;
  }

  private static List<String> named(Headers headers, String normalName) {
    List<String> values = new ArrayList<>();
    for (Headers.Field field : headers) {
      if (normalized(field.name()).equals(normalName)) {
        values.add(field.value());
      }
    }
    return values;
  }

  @Test
  void theGatewayGetsOneKeyOneTokenNoClientPrincipalAndTheRestAsSent() {
    Random random = new Random(SEED);
    for (int i = 0; i < CASES; i++) {
      List<Headers.Field> client = clientHeaders(random);
      try {
        assertTheGatewayGetsOneKeyOneTokenNoClientPrincipalAndTheRestAsSent(client);
      } catch (AssertionError e) {
        throw new AssertionError(
            "case " + i + " (seed " + SEED + "), the client sent " + described(client), e);
      }
    }
  }

  private static String described(List<Headers.Field> client) {
    List<String> fields = new ArrayList<>();
    for (Headers.Field field : client) {
      fields.add(field.name() + ": " + field.value());
    }
    return fields.toString();
  }

  private static void assertTheGatewayGetsOneKeyOneTokenNoClientPrincipalAndTheRestAsSent(
      List<Headers.Field> client) {
    Headers gateway = ProxyHeaders.toGateway(Headers.of(client), ADDED);
    Set<String> options = connectionOptions(client);

    assertEquals(List.of(KEY), named(gateway, "ocp-apim-subscription-key"), "key");
    assertEquals(List.of(TOKEN), named(gateway, "authorization"), "token");
    for (Headers.Field field : gateway) {
      String normal = normalized(field.name());
      assertEquals(
          false,
          normal.startsWith("x-ms-client-principal") || normal.startsWith("x-ms-token-"),
          field.name() + " reached the gateway");
    }
    for (Headers.Field field : gateway) {
      String normal = normalized(field.name());
      assertEquals(
          false,
          OWNED.contains(normal) && !SET_BY_APILINK.contains(normal),
          field.name() + " reached the gateway");
    }
    List<String> sentFor = new ArrayList<>();
    for (Headers.Field field : client) {
      // A blank value is no element (RFC 9110 5.6.1.1): it adds none.
      if (field.name().equalsIgnoreCase("X-Forwarded-For")
          && !options.contains("x-forwarded-for")
          && !field.value().isBlank()) {
        sentFor.add(field.value());
      }
    }
    sentFor.add("10.0.0.7");
    assertEquals(List.of(String.join(", ", sentFor)), named(gateway, "x-forwarded-for"), "XFF");

    List<String> expected = new ArrayList<>();
    for (Headers.Field field : client) {
      if (!owned(field.name(), options)) {
        expected.add(field.name() + ": " + field.value());
      }
    }
    List<String> forwarded = new ArrayList<>();
    for (Headers.Field field : gateway) {
      if (!owned(field.name(), options)) {
        forwarded.add(field.name() + ": " + field.value());
      }
    }
    assertEquals(expected, forwarded, "end-to-end fields");
  }

  private static final List<String> NAMES =
      List.of(
          "Accept",
          "X-Request-Id",
          "Content-Type",
          "If-None-Match",
          "Cookie",
          "X-Custom",
          "Proxy",
          "Proxy-Foo",
          "Max-Forwards",
          "x-ms-version",
          "Ocp-Apim-Subscription-Key",
          "Ocp-Apim-Trace",
          "Subscription-Key",
          "Authorization",
          "x-ms-client-principal",
          "X-MS-CLIENT-PRINCIPAL-NAME",
          "x-ms-client-principal-idp",
          "x-ms-token-aad-id-token",
          "x-ms-original-url",
          "Forwarded",
          "X-Forwarded-For",
          "X-Forwarded-Host",
          "X-Forwarded-Proto",
          "X-Forwarded-Port",
          "X-Forwarded-Prefix",
          "X-Real-IP",
          "X-Original-URL",
          "X-Forwarded-User",
          "Via",
          "Host",
          "Content-Length",
          "Expect",
          "Connection",
          "Keep-Alive",
          "TE",
          "Trailer",
          "Transfer-Encoding",
          "Upgrade",
          "Proxy-Connection",
          "Proxy-Authorization");

  private static final List<String> VALUES =
      List.of(
          "",
          "x",
          "a, b",
          "\"quoted, with comma\"",
          "k=v; JSESSIONID=abc; z=1",
          "Bearer client-token",
          "Basic YWxpY2U6cGFzcw==",
          "  spaced  value ",
          "tab\tinside",
          "caf\u00e9",
          "X-Custom, Accept",
          "close, X-Request-Id",
          "ocp-apim-subscription-key",
          "203.0.113.9");

  /** Up to twelve fields, each a name in one of four spellings and a value from the lists. */
  static List<Headers.Field> clientHeaders(Random random) {
    List<Headers.Field> fields = new ArrayList<>();
    int count = random.nextInt(13);
    for (int i = 0; i < count; i++) {
      String name = spelled(NAMES.get(random.nextInt(NAMES.size())), random.nextInt(4));
      fields.add(new Headers.Field(name, VALUES.get(random.nextInt(VALUES.size()))));
    }
    return fields;
  }

  /** As listed, lower case, upper case, or with {@code _} for {@code -} (as CGI reads it). */
  private static String spelled(String name, int spelling) {
    return switch (spelling) {
      case 1 -> name.toLowerCase(Locale.ROOT);
      case 2 -> name.toUpperCase(Locale.ROOT);
      case 3 -> name.replace('-', '_');
      default -> name;
    };
  }
}
