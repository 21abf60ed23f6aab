import Foundation
import Kafka
import Postgres
import TestSupport
import XCTest

/// One end-to-end pipeline for a test, run the way operators run it: `recame broker` and every worker as
/// separate processes, a scratch database migrated by `recame migrate` with the tiny fixture model
/// registered and active, and a temporary folder for images. `shutdown()` stops what it started.
final class PipelineHarness {
    let databaseURL: String
    let bootstrap: String
    let topic = "recame.images"
    let group: String
    let directory: URL
    let partitions: Int
    private let serverURL: String
    private let databaseName: String
    private let broker: ChildProcess
    private(set) var workers: [String: ChildProcess] = [:]

    static let modelFile = TestEnvironment.packageRoot.appendingPathComponent(
        "Tests/Fixtures/checkpoint/tiny-gray.safetensors")

    /// Client settings that keep the mock cluster's group protocol quick: a killed member is noticed
    /// after the session timeout, and the mock completes a rebalance after session timeout - 1 s when a
    /// member has not rejoined.
    static let fastKafka: [(String, String)] = [
        ("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "300"), ("fetch.wait.max.ms", "100"),
        ("topic.metadata.refresh.interval.ms", "1000"), ("reconnect.backoff.ms", "50"),
        ("reconnect.backoff.max.ms", "500"),
    ]

    init(_ name: String, serverURL: String = TestEnvironment.databaseURL, partitions: Int = 8) throws {
        self.serverURL = serverURL
        self.partitions = partitions
        databaseName = TestEnvironment.uniqueName(name).lowercased()
        group = "workers-\(databaseName)"
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(databaseName)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        let admin = try PostgresConnection(url: serverURL)
        defer { admin.close() }
        try admin.execute("CREATE DATABASE " + (try PostgresIdentifier.quote(databaseName)))
        databaseURL = Self.url(serverURL, database: databaseName)

        broker = ChildProcess(
            TestEnvironment.recameBinary.path, ["broker", "--partitions", "\(partitions)", "--topic", "recame.images"])
        try broker.start()
        let line = try broker.waitForLine(timeout: 30) { $0.hasPrefix("bootstrap=") }
        bootstrap = String(line.dropFirst("bootstrap=".count))

        try expectSuccess(["migrate", "--database-url", databaseURL])
        try expectSuccess([
            "model", "register", "--file", Self.modelFile.path, "--activate", "--database-url", databaseURL,
        ])
    }

    /// Stops the workers (SIGTERM, then SIGKILL after `timeout`) and returns their exit statuses; then
    /// the broker, the scratch database and the image folder go.
    func shutdown(timeout: TimeInterval = 30) {
        stopWorkers(timeout: timeout)
        broker.signal(SIGTERM)
        broker.wait(timeout: 10)
        if let admin = try? PostgresConnection(url: serverURL) {
            _ = try? admin.execute(
                "DROP DATABASE IF EXISTS " + ((try? PostgresIdentifier.quote(databaseName)) ?? databaseName)
                    + " WITH (FORCE)")
            admin.close()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Sends SIGTERM to every worker still running and waits for them (SIGKILL after `timeout`);
    /// returns the exit statuses of those that were running.
    @discardableResult
    func stopWorkers(timeout: TimeInterval = 30) -> [String: Int32] {
        let running = workers.filter { $0.value.process.isRunning }
        for worker in running.values { worker.signal(SIGTERM) }
        return running.mapValues { $0.wait(timeout: timeout) }
    }

    // MARK: The CLI

    /// Runs `recame arguments…` to completion.
    func recame(_ arguments: [String], timeout: TimeInterval = 120) throws -> ChildProcess.Result {
        try ChildProcess.run(TestEnvironment.recameBinary.path, arguments, timeout: timeout)
    }

    @discardableResult
    func expectSuccess(_ arguments: [String], timeout: TimeInterval = 120) throws -> ChildProcess.Result {
        let result = try recame(arguments, timeout: timeout)
        guard result.status == 0 else {
            throw HarnessError(
                "recame \(arguments.prefix(2).joined(separator: " ")) exited with \(result.status):\n"
                    + result.standardError)
        }
        return result
    }

    /// `recame publish` of a manifest as batch `batch`.
    func publish(batch: String, manifest: URL) throws {
        try expectSuccess([
            "publish", "--batch", batch, "--manifest", manifest.path, "--bootstrap", bootstrap, "--database-url",
            databaseURL,
        ])
    }

    /// Starts `recame worker` in the harness's group with quick Kafka settings.
    @discardableResult
    func startWorker(_ id: String, batchSize: Int = 32, extra: [String] = []) throws -> ChildProcess {
        var arguments = [
            "worker", "--worker-id", id, "--group", group, "--batch-size", "\(batchSize)", "--max-wait", "0.2",
            "--decode-threads", "2", "--bootstrap", bootstrap, "--database-url", databaseURL,
        ]
        for (key, value) in Self.fastKafka { arguments += ["-X", "\(key)=\(value)"] }
        let worker = ChildProcess(TestEnvironment.recameBinary.path, arguments + extra)
        try worker.start()
        workers[id] = worker
        return worker
    }

    // MARK: Kafka and SQL

    /// A producer on the harness's broker that accepts messages up to 20 MB.
    func producer() throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaConfiguration(
                bootstrapServers: bootstrap, [("message.max.bytes", "20000000"), ("linger.ms", "5")]))
    }

    /// Per partition of the topic: the group's committed offset (next to read; nil if none) and the
    /// high watermark. Call it with no worker running: the probe joins the group.
    func offsets() throws -> [(partition: Int32, committed: Int64?, high: Int64)] {
        var configuration = KafkaConfiguration(bootstrapServers: bootstrap, Self.fastKafka)
        configuration.set("enable.auto.commit", "false")
        let probe = try KafkaConsumer(configuration: configuration, groupID: group, topics: [topic])
        defer { try? probe.close() }
        let partitions = (0..<Int32(self.partitions)).map { KafkaTopicPartition(topic: topic, partition: $0) }
        let committed = try probe.committed(partitions)
        return try partitions.map { partition in
            let marks = try probe.watermarks(topic: topic, partition: partition.partition)
            return (partition.partition, committed[partition] ?? nil, marks.high)
        }
    }

    /// Fails unless every partition's committed offset is its high watermark: nothing left to read.
    func assertEverythingCommitted(file: StaticString = #filePath, line: UInt = #line) throws {
        let offsets = try offsets()
        for entry in offsets where entry.high > 0 || entry.committed != nil {
            XCTAssertEqual(
                entry.committed, entry.high, "partition \(entry.partition): committed vs high watermark", file: file,
                line: line)
        }
        XCTAssertGreaterThan(offsets.map(\.high).reduce(0, +), 0, "no message on the topic", file: file, line: line)
    }

    /// The first column of the first row of `sql`, as an integer (a new connection each time, so that
    /// it works across server restarts).
    func integer(_ sql: String, _ parameters: any PostgresEncodable...) throws -> Int {
        let connection = try PostgresConnection(url: databaseURL, connectTimeout: 2)
        defer { connection.close() }
        guard let row = try connection.query(sql, parameters: parameters).first else {
            throw HarnessError("no row from \(sql)")
        }
        return try row.decode(at: 0, as: Int.self)
    }

    func query(_ sql: String, _ parameters: any PostgresEncodable...) throws -> PostgresResult {
        let connection = try PostgresConnection(url: databaseURL, connectTimeout: 2)
        defer { connection.close() }
        return try connection.query(sql, parameters: parameters)
    }

    /// Waits until `condition` holds (errors count as "not yet"), failing with `what` and the workers'
    /// output after `timeout`.
    func waitUntil(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw HarnessError("timed out after \(Int(timeout)) s waiting for \(what)\n" + workerOutput())
    }

    /// Every worker's output so far, for failure messages.
    func workerOutput(lines: Int = 15) -> String {
        workers.sorted { $0.key < $1.key }.map { id, worker in
            let out = worker.standardOutput.split(separator: "\n").suffix(lines).joined(separator: "\n")
            let err = worker.standardError.split(separator: "\n").suffix(lines).joined(separator: "\n")
            return "--- worker \(id) (running: \(worker.process.isRunning))\n\(out)\n\(err)"
        }.joined(separator: "\n")
    }

    /// Lines of a worker's log that report a batch.
    static func batchLines(_ worker: ChildProcess) -> [String] {
        worker.standardOutput.split(separator: "\n").map(String.init).filter { $0.contains("] batch ") }
    }

    private static func url(_ server: String, database: String) -> String {
        if var components = URLComponents(string: server), components.scheme?.hasPrefix("postgres") == true {
            components.path = "/" + database
            return components.string ?? server
        }
        return server + " dbname=" + database
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
