package dev.apilink.config;

import java.util.Optional;

/**
 * One environment of the site (production, a named environment or a pull-request environment).
 *
 * @param name the key under {@code environments}
 * @param pullRequest whether this is a pull-request (preview) environment
 * @param backend the linked gateway; empty when the environment is not linked
 */
public record EnvironmentConfig(String name, boolean pullRequest, Optional<BackendConfig> backend) {

  /** Whether {@code /api} is proxied in this environment. */
  public boolean linked() {
    return backend.isPresent();
  }
}
