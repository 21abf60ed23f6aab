import Foundation
import Kafka
import Pipeline
import Postgres

/// The README's first command: the whole pipeline on embedded defaults, stopping what it started.
enum DemoCommand: Command {
    static let name = "demo"
    static let summary = "run the whole pipeline end to end on embedded defaults"
    static let usage = """
        usage: recame demo [--images N] [--database-url URL] [--data DIR]

        Runs the pipeline end to end on one machine: an embedded Kafka broker (librdkafka's mock
        cluster), PostgreSQL (DATABASE_URL or --database-url; pipeline/demo starts a local one),
        migrations, then publishes an ELPV "wafer batch" of N solar-cell inspection images and reads the
        messages back from the topic. Stops the broker when done.

          --images N        images in the demo batch (default 48)
          --data DIR        ELPV folder written by `pipeline/data elpv` (default .local/data/elpv)
          --database-url U  PostgreSQL (default: DATABASE_URL, else libpq's PG* variables)
        """

    static func run(_ arguments: Arguments) throws -> Int32 {
        let imageCount = try arguments.int("images", default: 48, range: 1...2624)
        let dataDirectory = arguments.string("data", default: ".local/data/elpv")
        let databaseURL = arguments.databaseURL()
        try arguments.finish()

        let images = try elpvImages(in: dataDirectory, count: imageCount)
        step("PostgreSQL: migrating")
        let connection = try PostgresConnection(url: databaseURL, applicationName: "recame demo")
        defer { connection.close() }
        let applied = try Migrator(directory: try MigrateCommand.defaultDirectory()).migrate(connection) {
            print("  \($0)")
        }
        print(
            "  \(applied.isEmpty ? "schema up to date" : "applied \(applied.count) migration(s)") on \(connection.target)"
        )

        step("Kafka: starting an embedded broker (3 brokers, topic recame.images with 8 partitions)")
        let broker = try EmbeddedBroker(brokers: 3)
        defer { broker.shutdown() }
        try broker.createTopic("recame.images", partitions: 8)
        print("  bootstrap=\(broker.bootstrapServers)")

        let batchID = "demo-" + Self.timestamp()
        step("publish: batch \(batchID), \(images.count) ELPV images on wafers W01…W04")
        let source = BatchSource(
            entries: images.enumerated().map { index, path in
                BatchSource.Entry(
                    path: path, imageID: "\(batchID)/\((path as NSString).lastPathComponent)",
                    waferID: String(format: "W%02d", index % 4 + 1), dieX: index % 8, dieY: index / 8,
                    product: "elpv-mono")
            })
        try BatchStore(connection: connection).register(
            batchID: batchID, waferID: nil, product: "elpv-mono", expectedImages: source.entries.count)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        let bar = ProgressBar("  publish", total: source.entries.count)
        let outcome = try Publisher(producer: producer, topic: "recame.images").publish(
            batchID: batchID, source: source
        ) { done, _ in bar.update(done) }
        guard outcome.failed.isEmpty else {
            throw PipelineError("\(outcome.failed.count) images were not delivered: \(outcome.failed[0].reason)")
        }

        step("consume: reading the batch back as consumer group recame-demo")
        let consumer = try KafkaConsumer(
            configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers), groupID: "recame-demo",
            topics: ["recame.images"])
        var received = [KafkaMessage]()
        let deadline = Date().addingTimeInterval(30)
        while received.count < source.entries.count && Date() < deadline {
            let messages = try consumer.poll(maxMessages: 64, timeout: 1)
            received += messages
            try consumer.commit(messages)
        }
        try consumer.close()
        var perPartition = [Int32: Int]()
        for message in received {
            _ = try ImageMessage(json: message.value ?? [])
            perPartition[message.partition, default: 0] += 1
        }
        print(
            "  received \(received.count)/\(source.entries.count) messages, every one a valid image message; "
                + "per partition: "
                + perPartition.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(
                    separator: " "))
        guard received.count == source.entries.count else {
            throw PipelineError("only \(received.count) of \(source.entries.count) messages came back")
        }
        step("done. Explore the batch row with:")
        print("  psql \"$(pipeline/postgres url)\" -c \"SELECT * FROM batches WHERE batch_id = '\(batchID)'\"")
        return 0
    }

    private static func elpvImages(in directory: String, count: Int) throws -> [String] {
        let folder = "\(directory)/images"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw PipelineError("no ELPV images in \(folder): run `pipeline/data elpv` first")
        }
        let images = names.filter { $0.hasSuffix(".png") }.sorted()
        guard images.count >= count else { throw PipelineError("\(folder) has \(images.count) images, need \(count)") }
        // Spread the batch over the whole data set so that it holds every defect grade.
        let stride = images.count / count
        return (0..<count).map { URL(fileURLWithPath: "\(folder)/\(images[$0 * stride])").standardizedFileURL.path }
    }

    private static func step(_ text: String) { print("==> \(text)") }

    private static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
