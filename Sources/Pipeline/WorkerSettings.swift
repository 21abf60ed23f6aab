import Foundation

/// How a worker consumes and classifies; every field is a `recame worker` flag.
public struct WorkerSettings: Sendable {
    public var group = "recame-workers"
    public var topic = "recame.images"
    /// Messages per batch: one transaction and one offset commit each.
    public var batchSize = 64
    /// How long a poll waits to fill a batch before processing what it has.
    public var maxWait: TimeInterval = 0.5
    /// Confidence below which a prediction is flagged for review (classes may override it).
    public var reviewThreshold: Float = 0.5
    /// Threads that decode images and that run the network.
    public var decodeThreads = 2
    public var inferenceThreads = 1
    /// Images whose header declares more pixels than this are dead-lettered unread.
    public var maxPixels = 64_000_000
    /// Message values above this size are dead-lettered without parsing.
    public var maxMessageBytes = 1 << 20
    public var workerID = "\(ProcessInfo.processInfo.hostName)-\(getpid())"
    public var jsonLogs = false
    public var heartbeatInterval: TimeInterval = 5
    /// Capped exponential backoff while PostgreSQL is unavailable.
    public var initialBackoff: TimeInterval = 0.5
    public var maximumBackoff: TimeInterval = 10
    /// Stop after this many messages (0: run until signalled); for benchmarks and tests.
    public var stopAfter = 0

    public init() {}
}
