package dev.apilink.testkit.gateway;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An APIM product: a set of APIs, whether calling them needs a subscription key, and the policy
 * document applied to calls made through it.
 *
 * @param id the product's id ({@code swa-red-sea-123})
 * @param displayName its name in the portal
 * @param subscriptionRequired whether calls need a key of a subscription to this product
 * @param apis the names of the APIs added to the product
 * @param policyXml the product's policy document, or null for none ({@code <base/>} everywhere)
 */
public record Product(
    String id,
    String displayName,
    boolean subscriptionRequired,
    List<String> apis,
    String policyXml) {

  public Product {
    Checks.require("product id", Checks.id(id));
    Objects.requireNonNull(displayName, "displayName");
    apis = List.copyOf(apis);
    for (String api : apis) {
      Checks.require("product \"" + id + "\": API name", Checks.id(api));
    }
    if (apis.stream().distinct().count() != apis.size()) {
      throw new IllegalArgumentException(
          "product \"" + id + "\": an API is listed twice (was " + apis + ")");
    }
  }

  /** A product that requires a subscription, named after its id, with no API and no policy. */
  public static Product of(String id) {
    return new Product(id, id, true, List.of(), null);
  }

  public Product withDisplayName(String displayName) {
    return new Product(id, displayName, subscriptionRequired, apis, policyXml);
  }

  public Product withSubscriptionRequired(boolean subscriptionRequired) {
    return new Product(id, displayName, subscriptionRequired, apis, policyXml);
  }

  /** This product with exactly the APIs {@code apiNames}. */
  public Product withApis(String... apiNames) {
    return withApis(Arrays.asList(apiNames));
  }

  /** This product with exactly the APIs {@code apiNames}. */
  public Product withApis(List<String> apiNames) {
    return new Product(id, displayName, subscriptionRequired, apiNames, policyXml);
  }

  /** This product with {@code apiName} added, if it was not there. */
  public Product withApi(String apiName) {
    if (apis.contains(apiName)) {
      return this;
    }
    List<String> more = new ArrayList<>(apis);
    more.add(apiName);
    return withApis(more);
  }

  /** This product without {@code apiName}. */
  public Product withoutApi(String apiName) {
    List<String> fewer = new ArrayList<>(apis);
    fewer.remove(apiName);
    return withApis(fewer);
  }

  /** This product with the policy document {@code policyXml} (null for none). */
  public Product withPolicyXml(String policyXml) {
    return new Product(id, displayName, subscriptionRequired, apis, policyXml);
  }

  /** Every field but the policy document, which may hold an HMAC secret. */
  @Override
  public String toString() {
    return "Product[id="
        + id
        + ", displayName="
        + displayName
        + ", subscriptionRequired="
        + subscriptionRequired
        + ", apis="
        + apis
        + ", policyXml="
        + (policyXml == null ? "none" : policyXml.length() + " chars")
        + "]";
  }
}
