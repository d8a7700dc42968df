package dev.apilink.testkit.gateway;

/**
 * The inbound {@code <rate-limit calls="N" renewal-period="S"/>} policy of a product: at most N
 * calls per subscription (per product when it needs none) in each period of S seconds, which starts
 * with the first call after the last one ended. A call over it is answered 429 with {@code
 * Retry-After}, the seconds left in the period.
 */
record RateLimit(int calls, int renewalPeriodSeconds) implements Policy.InboundStep {}
