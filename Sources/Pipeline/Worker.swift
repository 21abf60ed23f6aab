import Foundation
import Imaging
import Kafka
import Postgres

/// A member of the consumer group: poll a batch, decode in parallel, classify, write the batch in one
/// transaction, then commit its offsets (ARCHITECTURE §6). Offsets are committed only after the rows
/// are safe, and every insert is idempotent, so crashes at any point lose and duplicate nothing.
public final class Worker {
    public let settings: WorkerSettings
    private let consumer: KafkaConsumer
    private let database: PostgresConnection
    private let notifications: PostgresConnection
    private let models: ModelProvider
    private let stop: StopSignal
    private let log: WorkerLog
    private let startedAt = Date()
    private var processed = 0
    private var lastHeartbeat = Date.distantPast
    private var recentRate = 0.0
    private var lastLag = [String: Int64]()
    /// The last offset processed per partition (for the lag).
    private var lastOffsets = [KafkaTopicPartition: Int64]()

    public init(
        settings: WorkerSettings, kafka: KafkaConfiguration, databaseURL: String, models: ModelProvider,
        stop: StopSignal
    ) throws {
        self.settings = settings
        self.models = models
        self.stop = stop
        log = WorkerLog(workerID: settings.workerID, json: settings.jsonLogs)
        database = try PostgresConnection(url: databaseURL, applicationName: "recame worker \(settings.workerID)")
        notifications = try PostgresConnection(url: databaseURL, applicationName: "recame worker listener")
        try notifications.listen("recame_model")
        try models.load(from: database)
        var configuration = kafka
        if configuration["client.id"] == nil { configuration.set("client.id", "recame-worker-\(settings.workerID)") }
        // A message may carry up to maxMessageBytes of JSON; larger ones are fetched to be dead-lettered.
        if configuration["max.poll.interval.ms"] == nil { configuration.set("max.poll.interval.ms", "300000") }
        let log = self.log
        consumer = try KafkaConsumer(
            configuration: configuration, groupID: settings.group, topics: [settings.topic],
            onRebalance: { _, event in log.event("rebalance", ["change": "\(event)"]) },
            onError: { error in log.event("kafka", ["error": "\(error)"]) })
        log.event(
            "started",
            ["group": settings.group, "topic": settings.topic, "model": models.current?.version ?? "none"])
    }

    /// Runs until the stop signal is set (or `stopAfter` messages), then commits, leaves the group and
    /// records a final heartbeat.
    public func run() throws {
        defer {
            do { try consumer.close() } catch { log.event("close", ["error": "\(error)"]) }
            beat(stopped: true)
            log.event("stopped", ["processed": "\(processed)"])
        }
        while !stop.isSet {
            swapModelIfNotified()
            let pollStarted = Date()
            let messages = try consumer.poll(maxMessages: settings.batchSize, timeout: settings.maxWait)
            if messages.isEmpty {
                beatIfDue()
                continue
            }
            let started = Date()
            let outcome = try process(messages)
            let writeStarted = Date()
            guard try writeWithRetry(outcome) else { return }
            let commitStarted = Date()
            try commit(messages)
            processed += messages.count
            let seconds = Date().timeIntervalSince(started)
            // Where a batch's time goes, for operators and the pipeline benchmark.
            var phases = [
                "poll": started.timeIntervalSince(pollStarted), "decode": outcome.decodeSeconds,
                "forward": outcome.forwardSeconds, "write": commitStarted.timeIntervalSince(writeStarted),
                "commit": Date().timeIntervalSince(commitStarted),
            ]
            recentRate = Double(messages.count) / max(seconds, 1e-6)
            for message in messages {
                lastOffsets[message.topicPartition] = max(lastOffsets[message.topicPartition] ?? -1, message.offset)
            }
            // From the watermarks the fetches report: asking the broker waits behind the pending long-poll
            // fetch, which cost up to half a second per partition and batch.
            let lagStarted = Date()
            lastLag = currentLag()
            phases["lag"] = Date().timeIntervalSince(lagStarted)
            log.batch(
                count: messages.count, predictions: outcome.predictions.count,
                deadLetters: outcome.deadLetters.count, seconds: seconds, phases: phases, lag: lastLag)
            beatIfDue()
            if settings.stopAfter > 0 && processed >= settings.stopAfter { break }
        }
    }

    struct BatchOutcome {
        var predictions: [PredictionStore.Prediction] = []
        var deadLetters: [PredictionStore.DeadLetter] = []
        /// Parsing, reading, decoding and preprocessing; then the network.
        var decodeSeconds = 0.0
        var forwardSeconds = 0.0
    }

    /// Parses, decodes (in parallel) and classifies one polled batch. Anything wrong with a message
    /// makes a dead letter for that message alone.
    func process(_ messages: [KafkaMessage]) throws -> BatchOutcome {
        var outcome = BatchOutcome()
        let decodeStarted = Date()
        guard let model = models.current else { throw PipelineError("no model loaded") }
        let positions = messages.map {
            PredictionStore.KafkaPosition(
                topic: $0.topic, partition: $0.partition, offset: $0.offset, timestamp: $0.timestamp)
        }
        var parsed = [(index: Int, message: ImageMessage, path: String)]()
        for (index, message) in messages.enumerated() {
            let value = message.value ?? []
            guard value.count <= settings.maxMessageBytes else {
                outcome.deadLetters.append(
                    deadLetter(
                        message, positions[index],
                        "message value of \(value.count) bytes exceeds the \(settings.maxMessageBytes)-byte limit"))
                continue
            }
            do {
                let image = try ImageMessage(json: value)
                parsed.append((index, image, try image.filePath))
            } catch {
                outcome.deadLetters.append(deadLetter(message, positions[index], "\(error)"))
            }
        }
        let size = model.preprocessor.elementCount
        var inputs = [Float](repeating: 0, count: parsed.count * size)
        let maxPixels = settings.maxPixels
        let decoder = try BatchDecoder(preprocessor: model.preprocessor, threads: max(1, settings.decodeThreads))
        let errors = try inputs.withUnsafeMutableBufferPointer { buffer in
            try decoder.decode(count: parsed.count, into: buffer) { slot in
                try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: parsed[slot].path), maxPixels: maxPixels)
            }
        }
        let failures = errors.enumerated().map { slot, error in
            error.map { "image \(parsed[slot].path): \($0)" }
        }
        var good = [Int]()
        for (slot, entry) in parsed.enumerated() {
            if let failure = failures[slot] {
                outcome.deadLetters.append(
                    deadLetter(
                        messages[entry.index], positions[entry.index], failure, batchID: entry.message.batchID,
                        imageID: entry.message.imageID))
            } else {
                good.append(slot)
            }
        }
        if good.count < parsed.count {
            // Compact the decoded images so the network sees only valid ones.
            for (target, slot) in good.enumerated() where target != slot {
                for offset in 0..<size { inputs[target * size + offset] = inputs[slot * size + offset] }
            }
        }
        let forwardStarted = Date()
        outcome.decodeSeconds = forwardStarted.timeIntervalSince(decodeStarted)
        let results = try model.classify(inputs, count: good.count, threads: settings.inferenceThreads)
        outcome.forwardSeconds = Date().timeIntervalSince(forwardStarted)
        for (result, slot) in zip(results, good) {
            let entry = parsed[slot]
            outcome.predictions.append(
                PredictionStore.Prediction(
                    message: entry.message, modelVersion: model.version, className: model.classNames[result.classIndex],
                    classIndex: result.classIndex, confidence: result.confidence, probabilities: result.probabilities,
                    expertAgreement: result.agreement,
                    needsReview: model.needsReview(classIndex: result.classIndex, confidence: result.confidence),
                    position: positions[entry.index]))
        }
        return outcome
    }

    private func deadLetter(
        _ message: KafkaMessage, _ position: PredictionStore.KafkaPosition, _ reason: String, batchID: String? = nil,
        imageID: String? = nil
    ) -> PredictionStore.DeadLetter {
        // Keep enough of a huge payload to diagnose it without storing megabytes of garbage.
        let payload = message.value.map { Array($0.prefix(64 << 10)) }
        return PredictionStore.DeadLetter(
            position: position, key: message.key, payload: payload, reason: reason, batchID: batchID, imageID: imageID)
    }

    /// Writes the batch, retrying with capped exponential backoff while PostgreSQL is unreachable.
    /// Returns false when asked to stop before the write succeeded (nothing is committed then).
    private func writeWithRetry(_ outcome: BatchOutcome) throws -> Bool {
        let store = PredictionStore(connection: database, workerID: settings.workerID)
        var delay = settings.initialBackoff
        var attempt = 1
        while true {
            do {
                try store.write(predictions: outcome.predictions, deadLetters: outcome.deadLetters)
                if attempt > 1 { log.event("database", ["status": "recovered", "attempts": "\(attempt)"]) }
                return true
            } catch let error as PostgresError where error.isConnectionFailure || error.isTransient {
                log.event(
                    "database",
                    [
                        "status": "unavailable", "attempt": "\(attempt)", "retry_in_s": String(format: "%.1f", delay),
                        "error": error.message,
                    ])
                if stop.wait(seconds: delay) && attempt > 3 { return false }
                delay = min(delay * 2, settings.maximumBackoff)
                attempt += 1
                try? database.reset()
            }
        }
    }

    private func commit(_ messages: [KafkaMessage]) throws {
        do {
            try consumer.commit(messages)
        } catch {
            // After a long database outage the group may have moved our partitions to another member,
            // which replays them; its rows collide with ours and are skipped, so nothing is lost.
            log.event("commit", ["error": "\(error)"])
        }
    }

    /// Lag of the partitions this member holds now, from the last offsets it processed.
    private func currentLag() -> [String: Int64] {
        if let assigned = try? Set(consumer.assignment()) {
            lastOffsets = lastOffsets.filter { assigned.contains($0.key) }
        }
        var result = [String: Int64]()
        for (partition, offset) in lastOffsets {
            if let high = try? consumer.cachedHighWatermark(topic: partition.topic, partition: partition.partition) {
                result["\(partition.partition)"] = max(0, high - offset - 1)
            }
        }
        return result
    }

    private func swapModelIfNotified() {
        do {
            var notified = false
            while try notifications.waitForNotification(timeout: 0) != nil { notified = true }
            guard notified else { return }
            let previous = models.current?.version
            try models.load(from: database)
            if models.current?.version != previous {
                log.event("model", ["from": previous ?? "none", "to": models.current?.version ?? "none"])
            }
        } catch {
            // A corrupt or unreadable new model is refused; the worker keeps the one it has.
            log.event("model", ["error": "\(error)", "keeping": models.current?.version ?? "none"])
            try? notifications.reset()
        }
    }

    private func beatIfDue() {
        if Date().timeIntervalSince(lastHeartbeat) >= settings.heartbeatInterval { beat(stopped: false) }
    }

    private func beat(stopped: Bool) {
        lastHeartbeat = Date()
        do {
            try HeartbeatStore(connection: database).beat(
                workerID: settings.workerID, group: settings.group, startedAt: startedAt, processed: processed,
                imagesPerSecond: recentRate, lag: lastLag, modelVersion: models.current?.version, stopped: stopped)
        } catch {
            log.event("heartbeat", ["error": "\(error)"])
        }
    }
}
