package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.servlet.ServletContext;
import jakarta.servlet.SessionCookieConfig;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayTargetTest {

  @Test
  void headIsRefusedOnlyWhenSpelledOtherwiseThanUpperCase() {
    for (String method : new String[] {"head", "Head", "hEAD"}) {
      assertTrue(GatewayTarget.isHeadNotUpperCase(method), method);
    }
    for (String method : new String[] {"HEAD", "GET", "get", "PURGE", "HEADER", "headx"}) {
      assertFalse(GatewayTarget.isHeadNotUpperCase(method), method);
    }
  }

  @Test
  void springSessionsCookieIsTheSessionCookie() {
    // Spring Session's request wrapper reports the session id it read from its own cookie,
    // SESSION, which holds the id Base64-encoded; the container read no session id, so
    // isRequestedSessionIdFromCookie() is false. A reviewer found that cookie, which signs anyone
    // in as the user, at the gateway.
    String id = "72efebd4-67ee-4a24-b422-3d9ef1c26446";
    String encoded = Base64.getEncoder().encodeToString(id.getBytes(StandardCharsets.UTF_8));
    HttpServletRequest request =
        request(
            id,
            false,
            new Cookie("remember", "x"),
            new Cookie("SESSION", encoded),
            new Cookie("other", id + "x"));

    assertEquals("SESSION", GatewayTarget.sessionCookie(request));
  }

  @Test
  void theContainersOwnSessionCookieIsFoundAsBefore() {
    String id = "A1B2C3";
    assertEquals(
        "JSESSIONID", GatewayTarget.sessionCookie(request(id, true, new Cookie("JSESSIONID", id))));
    assertEquals("JSESSIONID", GatewayTarget.sessionCookie(request(null, false)));
  }

  /** A request whose container names its session cookie JSESSIONID (the default). */
  private static HttpServletRequest request(
      String sessionId, boolean fromCookie, Cookie... cookies) {
    SessionCookieConfig config =
        (SessionCookieConfig)
            Proxy.newProxyInstance(
                GatewayTargetTest.class.getClassLoader(),
                new Class<?>[] {SessionCookieConfig.class},
                (proxy, method, args) -> null);
    ServletContext context =
        (ServletContext)
            Proxy.newProxyInstance(
                GatewayTargetTest.class.getClassLoader(),
                new Class<?>[] {ServletContext.class},
                (proxy, method, args) ->
                    method.getName().equals("getSessionCookieConfig") ? config : null);
    Map<String, Object> answers =
        new java.util.HashMap<>(
            Map.of(
                "getServletContext", context,
                "isRequestedSessionIdFromCookie", fromCookie,
                "isRequestedSessionIdFromURL", false,
                "getRequestURI", "/api/x",
                "getCookies", cookies));
    answers.put("getRequestedSessionId", sessionId);
    return (HttpServletRequest)
        Proxy.newProxyInstance(
            GatewayTargetTest.class.getClassLoader(),
            new Class<?>[] {HttpServletRequest.class},
            (proxy, method, args) -> answers.get(method.getName()));
  }

  @Test
  void theRawPathInTheApplicationSkipsTheContextPathHoweverTheClientSpelledIt() {
    assertEquals("/api/x", GatewayTarget.rawPathInContext("/shop/api/x", "/shop"));
    assertEquals("/api/x", GatewayTarget.rawPathInContext("/api/x", ""));
    // Jetty's context path is its own form, not the client's (found by a reviewer).
    assertEquals("/api/x", GatewayTarget.rawPathInContext("/caf%C3%A9/api/x", "/caf\u00e9"));
    assertEquals("/api/x", GatewayTarget.rawPathInContext("/sh%6Fp/api/x", "/shop"));
    assertEquals("/api/x", GatewayTarget.rawPathInContext("/shop;jsessionid=A/api/x", "/shop"));
    assertEquals("/api/x", GatewayTarget.rawPathInContext("/a/b%2Dc/api/x", "/a/b-c"));
    // Spelled longer, the first segment ends where Jetty's form of the context path would go on.
    assertEquals("/api/x", GatewayTarget.rawPathInContext("/a%62/c/api/x", "/ab/c"));
    assertEquals("", GatewayTarget.rawPathInContext("/shop", "/shop"));
    // Not taken for the context path's own spelling: a path that is another spelling stays so.
    assertEquals("/shop/api/x", GatewayTarget.rawPathInContext("//shop/api/x", "/shop"));
  }

  @Test
  void apiAndPathsBelowItAreApiPaths() {
    assertTrue(GatewayTarget.isApiPath("/api"));
    assertTrue(GatewayTarget.isApiPath("/api/"));
    assertTrue(GatewayTarget.isApiPath("/api/products/7"));
  }

  @Test
  void theAuthorityNamesThePortOnlyWhenItIsNotTheSchemesDefault() {
    assertEquals("gw.example", GatewayTarget.authority("https", "gw.example", 443));
    assertEquals("gw.example", GatewayTarget.authority("http", "gw.example", 80));
    assertEquals("gw.example", GatewayTarget.authority("https", "gw.example", -1));
    assertEquals("gw.example", GatewayTarget.authority("https", "gw.example", 0));
    assertEquals("gw.example:1", GatewayTarget.authority("https", "gw.example", 1));
    assertEquals("gw.example:8443", GatewayTarget.authority("https", "gw.example", 8443));
    assertEquals("gw.example:443", GatewayTarget.authority("http", "gw.example", 443));
  }

  @Test
  void charactersOutsideAsciiArePercentEncodedAsUtf8AndTheRestKept() {
    assertEquals("/api/a;x=%C3%A9/7", GatewayTarget.asciiOnly("/api/a;x=\u00e9/7"));
    assertEquals("/api/%F0%9F%98%80", GatewayTarget.asciiOnly("/api/\ud83d\ude00"));
    assertEquals("q=%C3%A9&r=%2F", GatewayTarget.asciiOnly("q=\u00e9&r=%2F"));
    // DEL is not printable either; the last printable character, ~, is kept.
    assertEquals("/api/%7F~", GatewayTarget.asciiOnly("/api/\u007f~"));
    assertEquals("/api/~%C3%A9%7F", GatewayTarget.asciiOnly("/api/~\u00e9\u007f"));
    String plain = "/api/items/7;x=y%2F";
    assertTrue(plain == GatewayTarget.asciiOnly(plain), "an ASCII path is returned as it is");
    assertNull(GatewayTarget.asciiOnly(null));
  }

  @Test
  void lookalikesAreNot() {
    for (String path :
        new String[] {"", "/", "/apiary", "/API", "/Api/x", "/x/api", "/ap", "/api;x=y"}) {
      assertFalse(GatewayTarget.isApiPath(path), path);
    }
  }

  @Test
  void pathsThatStayUnderApiOnceDecodedAndResolvedAreKept() {
    for (String path :
        new String[] {
          "/api",
          "/api/",
          "/api/x/..",
          "/api/x/%2e%2e/y",
          "/api/files/a%2F..%2Fb",
          "/api/./x",
          "/api/../api/x",
          "/api/..%2F..%2Fapi/x",
          "/api/%252e%252e/x",
          "/api/a+b/%C3%A9",
          "/api//x",
          "/api;jsessionid=A/x"
        }) {
      assertTrue(GatewayTarget.staysUnderApi(path), path);
    }
  }

  @Test
  void pathsThatLeaveApiOnceDecodedAndResolvedAreNot() {
    for (String path :
        new String[] {
          "/api/..%2fWEB-INF/web.xml",
          "/api/..%2F..%2Fother/x",
          // Above the root is the root: these read //api/x, as does "//api/x" sent so.
          "/api/..%2F..%2F/api/x",
          "/api/x/..%2F..%2F..%2F/api/x",
          "/api/..%2F..%2F;/api/x",
          "/api/%2e%2e%2fWEB-INF",
          "/api/x/..%2f..%2f..%2fWEB-INF/web.xml",
          "/api/..%5cother",
          "/api/..\\other",
          // Found by review A: as the route rules read paths, ".. " is ".." (Windows), the path
          // ends at a decoded "?" or "#", and empty segments may be merged.
          "/api/..%20/other",
          "/api/x/..%20/..%09/other",
          "/api/..%3F/other",
          "/api/..%23/other",
          "/api//..%3B/other",
          "/api/.../..",
          "/api/x/.../../..",
          "/api/x/..;/..;/other",
          "/api/.%2e/other",
          "/api/..",
          "/api%2f..%2fother",
          "/api/x\\..\\..\\other",
          "/other",
          "/apiary"
        }) {
      assertFalse(GatewayTarget.staysUnderApi(path), path);
    }
  }

  @Test
  void theSubscriptionKeyParameterIsRemovedAndTheRestKeptByteForByte() {
    assertEquals("a=1&b=%2F", GatewayTarget.withoutSubscriptionKey("a=1&subscription-key=x&b=%2F"));
    assertEquals("a=1", GatewayTarget.withoutSubscriptionKey("Subscription-Key=x&a=1"));
    assertEquals("a=1", GatewayTarget.withoutSubscriptionKey("a=1&subscription%2Dkey=x"));
    assertEquals("a=1", GatewayTarget.withoutSubscriptionKey("%73ubscri%70tion-key=x&a=1"));
    // Escapes cut short by the end are kept as they are.
    assertEquals(
        "b%2=1&c%=2", GatewayTarget.withoutSubscriptionKey("subscription-key=x&b%2=1&c%=2"));
    assertEquals("a=1&&b", GatewayTarget.withoutSubscriptionKey("a=1&&subscription-key&b"));
    assertNull(GatewayTarget.withoutSubscriptionKey("subscription-key=x"));
  }

  @Test
  void aQueryWithoutTheKeyIsReturnedAsItWas() {
    String query = "q=%zz&x=%C3%A9&subscription-keys=1&key=2";
    assertEquals(query, GatewayTarget.withoutSubscriptionKey(query));
    assertNull(GatewayTarget.withoutSubscriptionKey(null));
  }

  @Test
  void theContainersSessionIdIsTakenOutOfThePathAndTheRestKeptByteForByte() {
    assertEquals(
        "/api/orders", GatewayTarget.withoutSessionId("/api/orders;jsessionid=A1B2", "JSESSIONID"));
    assertEquals("/api", GatewayTarget.withoutSessionId("/api;JSESSIONID=A1B2", "JSESSIONID"));
    // Tomcat reads the session from a parameter named as session-config names the cookie.
    assertEquals(
        "/api/a;v=1/b;x",
        GatewayTarget.withoutSessionId(
            "/api/a;v=1;SITESESSION=A1;jsessionid=B2/b;x", "SITESESSION"));
    assertEquals(
        "/api/a%3Bjsessionid=A1/b",
        GatewayTarget.withoutSessionId("/api/a%3Bjsessionid=A1;%6Asessionid/b", "JSESSIONID"));
  }

  @Test
  void aPathWithoutTheSessionIdOrAContextWithoutSessionsIsReturnedAsItWas() {
    String path = "/api/a;jsessionidx=1;v=%C3%A9/b;";
    assertEquals(path, GatewayTarget.withoutSessionId(path, "JSESSIONID"));
    assertEquals(
        "/api/a;jsessionid=1", GatewayTarget.withoutSessionId("/api/a;jsessionid=1", null));
  }
}
