package com.nrsgirls.streaming.pipeline.store;

import com.typesafe.config.Config;
import java.nio.file.Path;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/** The node's object store, as {@code nrs.streaming.store} configures it. */
public final class ObjectStores {
  private ObjectStores() {}

  public static ObjectStore create(ActorSystem<?> system, Config config) {
    Config c = config.getConfig("nrs.streaming.store");
    String type = c.getString("type");
    return switch (type) {
      case "local" ->
          new LocalObjectStore(
              Path.of(c.getString("local.dir")),
              system.dispatchers().lookup(DispatcherSelector.blocking()));
      case "s3" -> new S3ObjectStore(system, S3StoreSettings.from(c.getConfig("s3")));
      default ->
          throw new IllegalArgumentException(
              "nrs.streaming.store.type (NRS_STORE) must be local or s3, not " + type);
    };
  }
}
