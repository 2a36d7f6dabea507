package com.nrsgirls.streaming.api;

import com.nrsgirls.streaming.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka broker (KRaft, broker and controller in one, {@code kafka_2.13} from the test
 * classpath) forked as its own process, listening on 127.0.0.1 only; its log in {@code
 * dir/broker.log}.
 */
final class KafkaBroker implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path log;

  private KafkaBroker(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  static KafkaBroker start(Path dir) throws Exception {
    Files.createDirectories(dir);
    int port = NodeProcess.freePort();
    int controller = NodeProcess.freePort();
    Path properties = dir.resolve("server.properties");
    Files.writeString(
        properties,
        String.join(
            "\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@127.0.0.1:" + controller,
            "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller,
            "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs=" + dir.resolve("data"),
            "num.partitions=3",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            ""));
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath = System.getProperty("java.class.path");
    Processes.Result format =
        Processes.run(
            List.of(
                java,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                properties.toString()),
            Duration.ofSeconds(60));
    if (format.exitCode() != 0) {
      throw new IllegalStateException(
          "kafka storage format failed: " + format.stdout() + format.stderr());
    }
    Path log = dir.resolve("broker.log");
    Process process =
        new ProcessBuilder(java, "-Xmx512m", "-cp", classpath, "kafka.Kafka", properties.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    KafkaBroker broker = new KafkaBroker(process, port, log);
    try (Admin admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()))) {
      admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      broker.close();
      throw new IllegalStateException(
          "the kafka broker did not come up: " + Files.readString(log), e);
    }
    return broker;
  }

  String bootstrap() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
