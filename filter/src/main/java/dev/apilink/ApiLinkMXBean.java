package dev.apilink;

/**
 * What one ApiLink site reports to JMX, under {@code dev.apilink:type=ApiLink,virtualServer=…,
 * context=…} in the JVM's platform MBean server: whether it is linked, how busy its link is, and
 * how its exchanges ended since the web application started, ApiLink's own errors and the gateway's
 * apart. Read-only; no secret.
 */
public interface ApiLinkMXBean {

  /** Whether the environment in force has a gateway: {@code /api} is proxied. */
  boolean isLinked();

  /** The environment this deployment is. */
  String getEnvironment();

  /** The gateway's URL; empty when not linked. */
  String getGatewayUrl();

  /** Exchanges with the gateway started and not yet ended. */
  int getExchangesInFlight();

  /** Connections to the gateway carrying an exchange now. */
  int getGatewayConnectionsActive();

  /** Connections to the gateway open and waiting for the next exchange. */
  int getGatewayConnectionsIdle();

  /** Connections to the gateway being opened. */
  int getGatewayConnectionsPending();

  /** {@code /api} requests that went to the link since the web application started. */
  long getExchangesStarted();

  /** 502s that ApiLink answered itself: the gateway could not be reached, or answered badly. */
  long getAnsweredBadGateway();

  /** 504s that ApiLink answered itself: no connection, or no complete answer, in time. */
  long getAnsweredGatewayTimeout();

  /** Other errors that ApiLink answered to exchanges: 408, 413, 429, 431, 500, 503. */
  long getAnsweredOtherErrors();

  /** Responses broken off after they had begun: the gateway broke off, or a time limit ran out. */
  long getResponsesBrokenOff();

  /**
   * The gateway's 401s passed on to clients: its subscription key refused (regenerated, the API not
   * in the product) or its {@code validate-jwt} refusing the token.
   */
  long getGatewayAnsweredUnauthorized();

  /** The gateway's 4xx answers passed on to clients (401, 404, 429, …), its 401s included. */
  long getGatewayAnsweredClientErrors();

  /** The gateway's 5xx answers passed on to clients: of the gateway or of the API behind it. */
  long getGatewayAnsweredServerErrors();
}
