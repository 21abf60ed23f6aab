import Foundation
import Kafka
import Pipeline
import Postgres

/// The README's first command: the whole pipeline on embedded defaults, stopping what it started.
enum DemoCommand: Command {
    static let name = "demo"
    static let summary = "run the whole pipeline end to end on embedded defaults"
    static let usage = """
        usage: recame demo [--images N] [--epochs N] [--model-cache M] [--database-url URL] [--data DIR]

        Runs the pipeline end to end on one machine: an embedded Kafka broker (librdkafka's mock
        cluster), PostgreSQL (DATABASE_URL or --database-url; pipeline/demo starts a local one),
        migrations; trains a small ReCAME-Net on ELPV (once, cached), registers and activates it; publishes
        an ELPV "wafer batch" of N solar-cell inspection images, runs two `recame worker` processes until
        the batch is complete, prints its summary and the SQL to explore it, and stops what it started.

          --images N        images in the demo batch (default 48)
          --epochs N        epochs for the demo model when it is not cached yet (default 8)
          --model-cache M   where the demo model is cached (default .local/models/demo-elpv.safetensors)
          --data DIR        ELPV folder written by `pipeline/data elpv` (default .local/data/elpv)
          --database-url U  PostgreSQL (default: DATABASE_URL, else libpq's PG* variables)
        """

    static func run(_ arguments: Arguments) throws -> Int32 {
        let imageCount = try arguments.int("images", default: 48, range: 1...2624)
        let dataDirectory = arguments.string("data", default: ".local/data/elpv")
        let databaseURL = arguments.databaseURL()
        let modelPath = arguments.string("model-cache", default: ".local/models/demo-elpv.safetensors")
        let epochs = try arguments.int("epochs", default: 8, range: 1...1000)
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

        step("model: a small ReCAME-Net trained on ELPV (cached in \(modelPath))")
        if !FileManager.default.fileExists(atPath: modelPath) {
            let status = try ChildCommand.run(
                [
                    "train", "--data", "elpv:\(dataDirectory)", "--out", modelPath, "--epochs", "\(epochs)",
                    "--experts", "3", "--depth", "8", "--input", "32x32", "--batch", "32", "--lr", "0.05", "--seed",
                    "1",
                    "--threads", "2",
                ], environment: [:])
            guard status == 0 else { throw PipelineError("training the demo model failed (status \(status))") }
        }
        let registry = ModelRegistry(connection: connection)
        let artifact = try [UInt8](Data(contentsOf: URL(fileURLWithPath: modelPath)))
        let digest = SHA256.hexDigest(artifact)
        let known = try registry.list().first { $0.sha256 == digest }
        let version = try known?.version ?? registry.register(artifact: artifact, note: "recame demo")
        try registry.activate(version)
        print("  active model: \(version)")

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

        step("workers: starting 2 `recame worker` processes in group recame-demo")
        let environment = ["DATABASE_URL": databaseURL, "RECAME_BOOTSTRAP": broker.bootstrapServers]
        let workers = try (1...2).map { index in
            try ChildCommand.start(
                ["worker", "--group", "recame-demo", "--worker-id", "demo-worker-\(index)", "--batch-size", "16"],
                environment: environment, logPrefix: "  [worker \(index)] ")
        }
        defer { for worker in workers { worker.terminate() } }
        let results = ResultsStore(connection: connection)
        let started = Date()
        var summary = try results.summary(batchID: batchID)
        while summary?.isComplete != true {
            guard Date().timeIntervalSince(started) < 300 else {
                throw PipelineError("the batch did not complete within 5 minutes; see the worker logs above")
            }
            if let dead = workers.first(where: { !$0.isRunning }) {
                throw PipelineError("a worker exited early with status \(dead.exitStatus)")
            }
            Thread.sleep(forTimeInterval: 0.5)
            summary = try results.summary(batchID: batchID)
        }
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "  batch complete in %.1f s; stopping the workers", seconds))
        // Signalled together, the workers leave the group in one round instead of rebalancing twice.
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { worker.terminate() }

        step("results: recame results --batch \(batchID)")
        _ = try ResultsCommand.run(try Arguments(["--batch", batchID, "--database-url", databaseURL]))
        step("explore it with SQL (psql \"$(pipeline/postgres url)\"):")
        print(
            """
              SELECT * FROM batch_summary WHERE batch_id = '\(batchID)';
              SELECT image_id, class_name, confidence, needs_review FROM latest_predictions
               WHERE batch_id = '\(batchID)' AND needs_review ORDER BY confidence;
              SELECT class_name, count(*) FROM predictions WHERE batch_id = '\(batchID)' GROUP BY 1;
              SELECT * FROM dead_letters ORDER BY created_at DESC LIMIT 10;
            """)
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
