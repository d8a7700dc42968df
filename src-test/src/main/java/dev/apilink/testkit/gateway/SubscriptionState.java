package dev.apilink.testkit.gateway;

import java.util.Locale;

/** The states of an APIM subscription; only {@link #ACTIVE} lets calls through. */
public enum SubscriptionState {
  ACTIVE,
  SUSPENDED,
  EXPIRED,
  SUBMITTED,
  REJECTED,
  CANCELLED;

  /** The name APIM uses: {@code active}, {@code suspended}, ... */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The state named {@code value} as APIM spells it ({@code active}, ...). */
  public static SubscriptionState of(String value) {
    for (SubscriptionState state : values()) {
      if (state.value().equals(value)) {
        return state;
      }
    }
    throw new IllegalArgumentException(
        "subscription state must be one of active, suspended, expired, submitted, rejected,"
            + " cancelled (was "
            + (value == null ? "null" : Checks.quote(value))
            + ")");
  }

  @Override
  public String toString() {
    return value();
  }
}
