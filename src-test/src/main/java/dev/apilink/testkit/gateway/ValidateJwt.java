package dev.apilink.testkit.gateway;

import com.nimbusds.jose.jwk.JWK;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The inbound {@code <validate-jwt>} policy as parsed from the document, defaults applied ({@code
 * failedValidationErrorMessage} is null when the document gives none: see {@link #errorMessage}).
 * {@link JwtValidator} runs it.
 */
record ValidateJwt(
    TokenSource tokenSource,
    int failedValidationHttpCode,
    String failedValidationErrorMessage,
    boolean requireExpirationTime,
    boolean requireSignedTokens,
    String requireScheme,
    Duration clockSkew,
    List<URI> openIdConfigs,
    List<JWK> issuerSigningKeys,
    List<String> audiences,
    List<String> issuers,
    List<RequiredClaim> requiredClaims)
    implements Policy.InboundStep {

  static final int DEFAULT_HTTP_CODE = 401;

  /** APIM's default message for a missing token (validate-jwt reference, error handling). */
  static final String TOKEN_NOT_PRESENT_MESSAGE = "JWT not present.";

  /**
   * The message for any other refusal when the policy names none. APIM's comes from its JWT library
   * (Microsoft's error-handling reference), which is not reproduced; this is the message of
   * Microsoft's examples.
   */
  static final String DEFAULT_ERROR_MESSAGE = "Unauthorized. Access token is missing or invalid.";

  ValidateJwt {
    openIdConfigs = List.copyOf(openIdConfigs);
    issuerSigningKeys = List.copyOf(issuerSigningKeys);
    audiences = List.copyOf(audiences);
    issuers = List.copyOf(issuers);
    requiredClaims = List.copyOf(requiredClaims);
  }

  /**
   * The message to answer a refusal with: {@code failed-validation-error-message}, else APIM's
   * default for a missing token, else {@link #DEFAULT_ERROR_MESSAGE}.
   */
  String errorMessage(boolean tokenPresent) {
    if (failedValidationErrorMessage != null) {
      return failedValidationErrorMessage;
    }
    return tokenPresent ? DEFAULT_ERROR_MESSAGE : TOKEN_NOT_PRESENT_MESSAGE;
  }

  /**
   * Where the token is: {@code header-name}, {@code query-parameter-name} or {@code token-value}.
   */
  sealed interface TokenSource {}

  record FromHeader(String name) implements TokenSource {}

  record FromQueryParameter(String name) implements TokenSource {}

  record Literal(String token) implements TokenSource {}

  /**
   * {@code <claim name="..." match="all|any" separator="..."><value>...</value></claim>}: the claim
   * must be present and hold all (or any) of the values; with no value, presence is enough.
   */
  record RequiredClaim(String name, boolean matchAll, String separator, List<String> values) {
    RequiredClaim {
      values = List.copyOf(values);
    }
  }
}
