package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GatewayTargetTest {

  @Test
  void apiAndPathsBelowItAreApiPaths() {
    assertTrue(GatewayTarget.isApiPath("/api"));
    assertTrue(GatewayTarget.isApiPath("/api/"));
    assertTrue(GatewayTarget.isApiPath("/api/products/7"));
  }

  @Test
  void lookalikesAreNot() {
    for (String path :
        new String[] {"", "/", "/apiary", "/API", "/Api/x", "/x/api", "/ap", "/api;x=y"}) {
      assertFalse(GatewayTarget.isApiPath(path), path);
    }
  }

  @Test
  void theSubscriptionKeyParameterIsRemovedAndTheRestKeptByteForByte() {
    assertEquals("a=1&b=%2F", GatewayTarget.withoutSubscriptionKey("a=1&subscription-key=x&b=%2F"));
    assertEquals("a=1", GatewayTarget.withoutSubscriptionKey("Subscription-Key=x&a=1"));
    assertEquals("a=1", GatewayTarget.withoutSubscriptionKey("a=1&subscription%2Dkey=x"));
    assertEquals("a=1&&b", GatewayTarget.withoutSubscriptionKey("a=1&&subscription-key&b"));
    assertNull(GatewayTarget.withoutSubscriptionKey("subscription-key=x"));
  }

  @Test
  void aQueryWithoutTheKeyIsReturnedAsItWas() {
    String query = "q=%zz&x=%C3%A9&subscription-keys=1&key=2";
    assertEquals(query, GatewayTarget.withoutSubscriptionKey(query));
    assertNull(GatewayTarget.withoutSubscriptionKey(null));
  }
}
