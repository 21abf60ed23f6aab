import Foundation
import Kafka

/// `recame broker`: an embedded Kafka cluster in the foreground, for local runs, demos and tests.
/// Its first stdout line is the bootstrap list, which scripts parse; it stops on SIGTERM or SIGINT.
enum BrokerCommand: Command {
    static let name = "broker"
    static let summary = "run an embedded Kafka broker (librdkafka mock cluster) in the foreground"
    static let usage = """
        usage: recame broker [--brokers N] [--partitions P] [--replication-factor R]
                             [--topic NAME]... [-X key=value]...

        Runs an in-memory Kafka cluster (librdkafka's mock cluster) on 127.0.0.1 with ephemeral
        ports, creates the topics, and prints exactly one line on stdout:

            bootstrap=HOST:PORT[,HOST:PORT...]

        then serves until SIGTERM or SIGINT, shuts down cleanly and exits 0. Any Kafka client
        (recame worker/publish with --bootstrap, kcat -b) can use it. Messages live in memory and are
        lost when the broker stops; it is meant for development, demos and tests, not production.
        The mock keeps about 5 MB per partition: older messages are dropped (consumed or not) once a
        partition holds more, so publish large batches to more partitions or consume as you go.

        options:
          --brokers N             number of brokers in the cluster, 1-64 (default 3)
          --partitions P          partitions of each created topic, 1-100000 (default 8)
          --replication-factor R  replicas of each partition, 1-N (default 1)
          --topic NAME            topic to create; repeat for several (default recame.images).
                                  Topics not created here are auto-created by the mock with its own
                                  default partition count when a producer first uses them.
          -X key=value            librdkafka property for the handle hosting the cluster, e.g.
                                  -X debug=mock -X log_level=7 (default log_level=4)
          --help                  show this text

        exit status: 0 after a signal-initiated shutdown, 1 if the cluster cannot start,
        2 on bad usage.
        """

    static func run(_ arguments: Arguments) throws -> Int32 {
        let brokers = try arguments.int("brokers", default: 3, range: 1...64)
        let partitions = try arguments.int("partitions", default: 8, range: 1...100_000)
        let replicationFactor = try arguments.int("replication-factor", default: 1, range: 1...64)
        let topics = arguments.all("topic").isEmpty ? ["recame.images"] : arguments.all("topic")
        let properties = try arguments.kafkaProperties()
        try arguments.finish()
        guard replicationFactor <= brokers else {
            throw UsageError("--replication-factor (\(replicationFactor)) cannot exceed --brokers (\(brokers))")
        }
        guard Set(topics).count == topics.count else { throw UsageError("--topic names a topic twice") }

        // Block the stop signals before any thread exists, so that they are only ever taken by
        // sigwait below and never kill the process mid-shutdown.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let broker: EmbeddedBroker
        do {
            broker = try EmbeddedBroker(brokers: brokers, configuration: KafkaConfiguration(properties))
            for topic in topics {
                try broker.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor)
            }
        } catch let error as KafkaError where error.name == "_INVALID_ARG" {
            throw UsageError(error.description)
        }
        print("bootstrap=\(broker.bootstrapServers)")
        fflush(stdout)
        printStandardError(
            "recame broker: \(brokers) broker(s); topic(s) \(topics.joined(separator: ", ")) with \(partitions) "
                + "partition(s); stop with SIGTERM or SIGINT")

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        broker.shutdown()
        printStandardError("recame broker: received \(received == SIGINT ? "SIGINT" : "SIGTERM"), stopped")
        return 0
    }
}
