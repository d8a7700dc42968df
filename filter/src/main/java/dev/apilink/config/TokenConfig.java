package dev.apilink.config;

import dev.apilink.token.SigningKeys;
import java.util.Optional;

/**
 * How the access tokens are signed and sent.
 *
 * @param signingKeyFile where the signing keys were read from, if configured
 * @param signingKeys the keys read from {@code signingKeyFile}; empty when a key must be generated
 * @param lifetimeSeconds how long each token is valid
 * @param header the header that carries the token ({@code Authorization} sends {@code Bearer
 *     <token>}; any other header carries the bare token)
 */
public record TokenConfig(
    Optional<String> signingKeyFile,
    Optional<SigningKeys> signingKeys,
    int lifetimeSeconds,
    String header) {

  public static final int DEFAULT_LIFETIME_SECONDS = 300;
  public static final String DEFAULT_HEADER = "Authorization";

  /** Whether the token is sent as {@code Authorization: Bearer <token>}. */
  public boolean bearer() {
    return header.equalsIgnoreCase("Authorization");
  }
}
