package dev.apilink.testkit.gateway;

import java.util.Objects;

/**
 * An APIM subscription scoped to one product: a named pair of keys, either of which lets calls
 * through to the product's APIs while the subscription is {@link SubscriptionState#ACTIVE active}.
 *
 * @param id the subscription's id
 * @param displayName its name in the portal
 * @param productId the product it is scoped to (its scope is {@code /products/<productId>})
 * @param primaryKey the primary key; null to have the gateway generate one
 * @param secondaryKey the secondary key; null to have the gateway generate one
 * @param state its state
 */
public record Subscription(
    String id,
    String displayName,
    String productId,
    String primaryKey,
    String secondaryKey,
    SubscriptionState state) {

  public Subscription {
    Checks.require("subscription id", Checks.id(id));
    Objects.requireNonNull(displayName, "displayName");
    Checks.require("subscription \"" + id + "\": product id", Checks.id(productId));
    if (primaryKey != null) {
      Checks.require("subscription \"" + id + "\": primary key", Checks.key(primaryKey));
    }
    if (secondaryKey != null) {
      Checks.require("subscription \"" + id + "\": secondary key", Checks.key(secondaryKey));
    }
    Objects.requireNonNull(state, "state");
  }

  /** An active subscription to {@code productId}, named after its id, with generated keys. */
  public static Subscription of(String id, String productId) {
    return new Subscription(id, id, productId, null, null, SubscriptionState.ACTIVE);
  }

  /** The subscription's scope as APIM writes it: {@code /products/<productId>}. */
  public String scope() {
    return "/products/" + productId;
  }

  public Subscription withDisplayName(String displayName) {
    return new Subscription(id, displayName, productId, primaryKey, secondaryKey, state);
  }

  public Subscription withPrimaryKey(String primaryKey) {
    return new Subscription(id, displayName, productId, primaryKey, secondaryKey, state);
  }

  public Subscription withSecondaryKey(String secondaryKey) {
    return new Subscription(id, displayName, productId, primaryKey, secondaryKey, state);
  }

  public Subscription withState(SubscriptionState state) {
    return new Subscription(id, displayName, productId, primaryKey, secondaryKey, state);
  }

  /** Every field but the keys. */
  @Override
  public String toString() {
    return "Subscription[id="
        + id
        + ", displayName="
        + displayName
        + ", scope="
        + scope()
        + ", state="
        + state
        + "]";
  }
}
