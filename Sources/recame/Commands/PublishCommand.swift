import Foundation
import Kafka
import Pipeline
import Postgres

enum PublishCommand: Command {
    static let name = "publish"
    static let summary = "publish a wafer batch of image references to Kafka"
    static let usage = """
        usage: recame publish --batch ID (--dir DIR | --manifest CSV) [--wafer W] [--product P]
                              [--bootstrap HOST:PORT] [--topic T] [--database-url URL] [-X key=value]…

        Records the batch (expected image count, wafer, product) in PostgreSQL, then sends one JSON
        message per image to the topic, keyed by wafer id, and waits until Kafka has acknowledged every
        one. Exits 1 naming every image whose delivery failed.

          --batch ID         batch id (required); images get ids BATCH/relative-path unless the manifest
                             has an image_id column
          --dir DIR          publish every .png/.jpg/.jpeg/.pgm/.ppm file below DIR (needs --wafer)
          --manifest CSV     publish the rows of CSV: header path,wafer,die_x,die_y,product
                             (only path is required; relative paths are relative to the CSV)
          --wafer W          wafer id for --dir, and the default for manifest rows without one
          --product P        product for all images without one
          --flush-timeout S  seconds to wait for Kafka's acknowledgements (default 60)
          --bootstrap H:P    Kafka bootstrap servers (default: RECAME_BOOTSTRAP)
          --topic T          topic (default recame.images)
          --database-url U   PostgreSQL (default: DATABASE_URL, else libpq's PG* variables)
          -X key=value       any librdkafka producer property
        """

    static func run(_ arguments: Arguments) throws -> Int32 {
        let batchID = try arguments.required("batch")
        let directory = arguments.string("dir")
        let manifest = arguments.string("manifest")
        let wafer = arguments.string("wafer")
        let product = arguments.string("product")
        let flushTimeout = try arguments.double("flush-timeout", default: 60)
        let bootstrap = try arguments.bootstrapServers()
        let topic = arguments.topic()
        let properties = try arguments.kafkaProperties()
        let databaseURL = arguments.databaseURL()
        try arguments.finish()
        guard (directory == nil) != (manifest == nil) else {
            throw UsageError("give exactly one of --dir and --manifest")
        }
        guard !batchID.isEmpty, batchID.count <= 256 else { throw UsageError("--batch must be 1...256 characters") }

        let source: BatchSource
        if let directory {
            guard let wafer else { throw UsageError("--dir needs --wafer") }
            source = try BatchSource.directory(directory, batchID: batchID, wafer: wafer, product: product)
        } else {
            source = try BatchSource.manifest(manifest!, batchID: batchID, defaultWafer: wafer, defaultProduct: product)
        }
        let unreadable = source.unreadablePaths()
        guard unreadable.isEmpty else {
            throw PipelineError(
                "\(unreadable.count) image files are missing or unreadable; nothing was published:\n  "
                    + unreadable.prefix(20).joined(separator: "\n  ") + (unreadable.count > 20 ? "\n  …" : ""))
        }
        let wafers = Set(source.entries.map(\.waferID))
        let connection = try PostgresConnection(url: databaseURL, applicationName: "recame publish")
        try BatchStore(connection: connection).register(
            batchID: batchID, waferID: wafers.count == 1 ? wafers.first : nil, product: product,
            expectedImages: source.entries.count)

        var configuration = KafkaConfiguration(bootstrapServers: bootstrap, properties)
        if configuration["client.id"] == nil { configuration.set("client.id", "recame-publish") }
        let producer = try KafkaProducer(configuration: configuration)
        let bar = ProgressBar("publish \(batchID)", total: source.entries.count)
        let started = Date()
        let outcome = try Publisher(producer: producer, topic: topic).publish(
            batchID: batchID, source: source, flushTimeout: flushTimeout
        ) { done, _ in bar.update(done) }
        let seconds = Date().timeIntervalSince(started)
        if !outcome.failed.isEmpty {
            printStandardError("recame publish: \(outcome.failed.count) images were not delivered:")
            for failure in outcome.failed { printStandardError("  \(failure.path): \(failure.reason)") }
            return 1
        }
        print(
            "published batch \(batchID): \(outcome.delivered) images to \(topic) in "
                + String(format: "%.2f s (%.0f images/s)", seconds, Double(outcome.delivered) / max(seconds, 1e-9)))
        return 0
    }
}
