package dev.apilink.it;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** RSA signing keys for tests, one per kid, generated once per JVM (generation is slow). */
final class Keys {

  private static final Map<String, RSAKey> KEYS = new ConcurrentHashMap<>();

  private Keys() {}

  static RSAKey key(String kid) {
    return KEYS.computeIfAbsent(
        kid,
        id -> {
          try {
            return new RSAKeyGenerator(2048).keyID(id).generate();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /** A private JWK set with the keys named, in order: the content of a signingKeyFile. */
  static String set(String... kids) {
    List<JWK> keys = new ArrayList<>();
    for (String kid : kids) {
      keys.add(key(kid));
    }
    return new JWKSet(keys).toString(false);
  }
}
