package com.nrsgirls.streaming.api;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a node's configuration: overrides, then {@code application.conf} (the root one, given with
 * {@code -Dconfig.file} by bin/nrs-streaming), then every module's reference.conf, resolved
 * together so that e.g. a data directory set by the deployment moves the journal and segments with
 * it. It also applies the choices HOCON cannot express: journal backend and seed nodes.
 */
public final class NodeConfig {
  private static final String SHARED_DB = "pekko-persistence-jdbc.shared-databases.nrs";

  private NodeConfig() {}

  public static Config load() {
    return load(ConfigFactory.empty());
  }

  public static Config load(Config overrides) {
    Config config =
        ConfigFactory.defaultOverrides()
            .withFallback(overrides)
            .withFallback(ConfigFactory.defaultApplication())
            .withFallback(ConfigFactory.parseResources(NodeConfig.class, "/nrs-node.conf"))
            .withFallback(ConfigFactory.defaultReferenceUnresolved())
            .resolve();
    return withSeedNodes(withJournal(config));
  }

  private static Config withJournal(Config config) {
    String journal = config.getString("nrs.streaming.journal");
    switch (journal) {
      case "h2":
        return config;
      case "postgres":
        String url = config.getString("nrs.streaming.jdbc.url");
        if (url.isBlank()) {
          throw new IllegalArgumentException("NRS_JOURNAL=postgres needs NRS_JDBC_URL");
        }
        return config
            .withValue(
                SHARED_DB + ".profile",
                ConfigValueFactory.fromAnyRef("slick.jdbc.PostgresProfile$"))
            .withValue(SHARED_DB + ".db.url", ConfigValueFactory.fromAnyRef(url))
            .withValue(
                SHARED_DB + ".db.user",
                ConfigValueFactory.fromAnyRef(config.getString("nrs.streaming.jdbc.user")))
            .withValue(
                SHARED_DB + ".db.password",
                ConfigValueFactory.fromAnyRef(config.getString("nrs.streaming.jdbc.password")))
            .withValue(
                SHARED_DB + ".db.driver", ConfigValueFactory.fromAnyRef("org.postgresql.Driver"));
      default:
        throw new IllegalArgumentException(
            "nrs.streaming.journal (NRS_JOURNAL) must be h2 or postgres, not " + journal);
    }
  }

  private static Config withSeedNodes(Config config) {
    List<String> seeds =
        Arrays.stream(config.getString("nrs.streaming.cluster.seed-nodes").split(","))
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .toList();
    if (seeds.isEmpty()) {
      return config;
    }
    String system = NrsNode.SYSTEM_NAME;
    List<String> addresses =
        seeds.stream().map(hostPort -> "pekko://" + system + "@" + hostPort).toList();
    return config.withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(addresses));
  }
}
