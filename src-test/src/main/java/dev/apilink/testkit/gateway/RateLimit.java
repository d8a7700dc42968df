package dev.apilink.testkit.gateway;

/**
 * The inbound {@code <rate-limit calls="N" renewal-period="S"/>} policy of a product: at most N
 * calls per subscription in each period of S seconds, which starts with the first call after the
 * last one ended (Microsoft calls APIM's a sliding window, and never completely accurate). A call
 * over it is answered 429 with {@code Retry-After}, the seconds left in the period. Calls without a
 * subscription key are not counted, as in APIM.
 */
record RateLimit(int calls, int renewalPeriodSeconds) implements Policy.InboundStep {}
