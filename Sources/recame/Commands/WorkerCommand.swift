import Foundation
import Kafka
import Pipeline

enum WorkerCommand: Command {
    static let name = "worker"
    static let summary = "consume images, classify them and write predictions to PostgreSQL"
    static let usage = """
        usage: recame worker [--group recame-workers] [--batch-size 64] [--model-file M] [options]

        Joins the consumer group, polls batches, decodes the images in parallel, classifies them with the
        active registry model (or --model-file), writes the batch's predictions and dead letters in one
        PostgreSQL transaction, and only then commits the batch's offsets. Swaps to a newly activated model
        between batches. SIGTERM/SIGINT: finishes the batch in hand, commits, leaves the group, exits 0.

          --group G              consumer group (default recame-workers)
          --batch-size N         messages per batch, one transaction and one commit each (default 64)
          --max-wait S           seconds a poll waits to fill a batch (default 0.5)
          --model-file M         classify with this checkpoint instead of the registry's active model
                                 (registered as a candidate by sha256 if new, so rows can name it)
          --review-threshold P   calibrated confidence below which a prediction needs review (default 0.5)
          --decode-threads N     parallel image decoding (default: cores)
          --threads N            threads for the network (default 1: workers that share cores use 1)
          --max-pixels N         dead-letter images whose header declares more pixels (default 64000000)
          --max-message-bytes N  dead-letter message values larger than this (default 1048576)
          --worker-id ID         name in logs, heartbeats and rows (default HOST-PID)
          --json                 log JSON lines instead of text
          --stop-after N         exit after N messages (benchmarks)
          --bootstrap H:P        Kafka bootstrap servers (default: RECAME_BOOTSTRAP)
          --topic T              topic (default recame.images)
          --database-url U       PostgreSQL (default: DATABASE_URL, else libpq's PG* variables)
          -X key=value           any librdkafka consumer property
        """
    static var booleanFlags: Set<String> { ["json"] }

    static func run(_ arguments: Arguments) throws -> Int32 {
        var settings = WorkerSettings()
        settings.group = arguments.string("group", default: settings.group)
        settings.batchSize = try arguments.int("batch-size", default: settings.batchSize, range: 1...10_000)
        settings.maxWait = try arguments.double("max-wait", default: settings.maxWait)
        let modelFile = arguments.string("model-file")
        settings.reviewThreshold = Float(try arguments.double("review-threshold", default: 0.5))
        settings.decodeThreads = try arguments.int(
            "decode-threads", default: ProcessInfo.processInfo.activeProcessorCount, range: 1...256)
        settings.inferenceThreads = try arguments.int("threads", default: 1, range: 1...256)
        settings.maxPixels = try arguments.int("max-pixels", default: settings.maxPixels, range: 1...Int(Int32.max))
        settings.maxMessageBytes = try arguments.int(
            "max-message-bytes", default: settings.maxMessageBytes, range: 1...(1 << 30))
        settings.workerID = arguments.string("worker-id", default: settings.workerID)
        settings.jsonLogs = arguments.flag("json")
        settings.stopAfter = try arguments.int("stop-after", default: 0, range: 0...Int.max)
        settings.topic = arguments.topic()
        let bootstrap = try arguments.bootstrapServers()
        let properties = try arguments.kafkaProperties()
        let databaseURL = arguments.databaseURL()
        try arguments.finish()
        guard settings.maxWait > 0, settings.maxWait <= 60 else { throw UsageError("--max-wait must be in (0, 60]") }
        guard (0...1).contains(settings.reviewThreshold) else {
            throw UsageError("--review-threshold must be in [0, 1]")
        }

        // Several workers share a machine's cores; OpenBLAS's default pool would spin against them.
        try TrainingSupport.useSingleThreadedBLAS()
        let stop = StopSignal()
        stop.install()
        let models = ModelProvider(
            source: modelFile.map { .file($0) } ?? .registry, reviewThreshold: settings.reviewThreshold)
        let worker = try Worker(
            settings: settings, kafka: KafkaConfiguration(bootstrapServers: bootstrap, properties),
            databaseURL: databaseURL, models: models, stop: stop)
        try worker.run()
        return 0
    }
}
