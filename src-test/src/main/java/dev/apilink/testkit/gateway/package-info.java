/**
 * An embedded gateway that behaves like Azure API Management (APIM) for everything Static Web Apps'
 * linking relies on, for development and tests.
 *
 * <p>Public types: {@link dev.apilink.testkit.gateway.ApimGateway} (builder, running gateway and
 * the operations an operator performs in the portal), the immutable records {@link
 * dev.apilink.testkit.gateway.Api}, {@link dev.apilink.testkit.gateway.Product} and {@link
 * dev.apilink.testkit.gateway.Subscription}, {@link dev.apilink.testkit.gateway.SubscriptionState},
 * {@link dev.apilink.testkit.gateway.GatewayConfigException}, the command line {@link
 * dev.apilink.testkit.gateway.ApimGatewayMain} and the JUnit 5 extension {@link
 * dev.apilink.testkit.gateway.ApimGatewayExtension}. Everything else is package-private.
 *
 * <p>What it reproduces (see {@code reference/apim.md}):
 *
 * <ul>
 *   <li>routing by the longest API URL suffix, on path-segment boundaries; the rest of the raw path
 *       and the raw query go to the API's service URL byte for byte, bodies streamed both ways,
 *       hop-by-hop headers dropped, {@code Host} the backend's; no match is a 404;
 *   <li>the subscription key from {@code Ocp-Apim-Subscription-Key} (or the header an API names in
 *       {@code subscriptionKeyParameterNames.header}), else the {@code subscription-key} query
 *       parameter, with APIM's exact 401 bodies and {@code WWW-Authenticate} challenge; products
 *       that require no subscription;
 *   <li>product policies in APIM's XML: {@code <base/>}, and in {@code <inbound>} {@code
 *       <validate-jwt>} (openid-config, issuer-signing-keys, audiences, issuers, required-claims),
 *       {@code <set-header>} with literal values, and {@code <rate-limit calls renewal-period>}
 *       (429 with {@code Retry-After}, per subscription, once per policy). Anything else fails
 *       loading with a message that names the element, where it is and the document; nothing is
 *       silently ignored;
 *   <li>an {@code openid-config}'s key set re-fetched hourly, and on an unknown {@code kid} or
 *       after a failed fetch no sooner than 5 minutes after the last fetch (Microsoft's
 *       validate-jwt reference).
 * </ul>
 *
 * <p>Chosen where APIM documents nothing: an unreachable backend is a 502 {@code {"statusCode":
 * 502, "message": "Bad Gateway"}}, a backend slower than the timeout (300 s by default) a 504
 * {@code "Gateway Timeout"}; the subscription key's header and query parameter are removed before
 * the backend (users report that APIM forwards the header); an API has no operations and passes
 * every method and path below its URL suffix (APIM answers 404 where no operation matches).
 * docs/gateway.md lists these differences.
 */
package dev.apilink.testkit.gateway;
