package dev.apilink.proxy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * An immutable, ordered list of header fields. Names compare case-insensitively (RFC 9110 5.1);
 * each step of the proxy is a function from headers to headers.
 */
public final class Headers implements Iterable<Headers.Field> {

  /** One header field as it was received or is to be sent. */
  public record Field(String name, String value) {
    boolean is(String other) {
      return name.equalsIgnoreCase(other);
    }

    /** The name only: a value may be a key, a token or a cookie. */
    @Override
    public String toString() {
      return name + ": <value>";
    }
  }

  private static final Headers EMPTY = new Headers(List.of());

  private final List<Field> fields;

  private Headers(List<Field> fields) {
    this.fields = fields;
  }

  public static Headers of(List<Field> fields) {
    return fields.isEmpty() ? EMPTY : new Headers(List.copyOf(fields));
  }

  /** A list that nobody else holds: wrapped rather than copied. */
  static Headers owning(List<Field> fields) {
    return fields.isEmpty() ? EMPTY : new Headers(Collections.unmodifiableList(fields));
  }

  /** Name, value, name, value, ... */
  public static Headers of(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values must come in pairs");
    }
    List<Field> fields = new ArrayList<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      fields.add(new Field(namesAndValues[i], namesAndValues[i + 1]));
    }
    return of(fields);
  }

  /** Every value of {@code name}, in order. */
  public List<String> values(String name) {
    List<String> values = new ArrayList<>(1);
    for (Field field : fields) {
      if (field.is(name)) {
        values.add(field.value());
      }
    }
    return values;
  }

  /**
   * The header names listed in the {@code Connection} fields (RFC 9110 7.6.1), as a set that
   * compares names without case.
   */
  public Set<String> connectionOptions() {
    Set<String> options = null; // most messages have none: nothing allocated then
    for (Field field : fields) {
      if (field.is("Connection")) {
        for (String option : field.value().split(",")) {
          String trimmed = option.trim();
          if (!trimmed.isEmpty()) {
            if (options == null) {
              options = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
            }
            options.add(trimmed);
          }
        }
      }
    }
    return options == null ? Set.of() : options;
  }

  public int size() {
    return fields.size();
  }

  public List<Field> asList() {
    return fields;
  }

  @Override
  public Iterator<Field> iterator() {
    return fields.iterator();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Headers headers && headers.fields.equals(fields);
  }

  @Override
  public int hashCode() {
    return fields.hashCode();
  }

  /** Names only: values may hold keys, tokens or cookies. */
  @Override
  public String toString() {
    return "Headers" + fields.stream().map(Field::name).toList();
  }
}
