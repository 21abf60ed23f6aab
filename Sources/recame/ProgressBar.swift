import Foundation

/// A one-line progress bar on stderr (redrawn in place on a terminal, a line every few seconds
/// otherwise), so that long work shows how far it is and how long it has left.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let start = Date()
    private let interactive = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var finished = false

    init(_ label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    /// `detail` is shown after the counts (loss terms, images/s, …).
    func update(_ done: Int, detail: String = "") {
        lock.withLock {
            let now = Date()
            let minimumInterval = interactive ? 0.1 : 5
            guard done >= total || now.timeIntervalSince(lastDraw) >= minimumInterval, !finished else { return }
            lastDraw = now
            let fraction = min(1, Double(done) / Double(total))
            let elapsed = now.timeIntervalSince(start)
            let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line =
                "\(label) [\(bar)] \(done)/\(total) \(String(format: "%3.0f%%", fraction * 100)) "
                + "\(Self.duration(elapsed)) elapsed, ETA \(Self.duration(eta))" + (detail.isEmpty ? "" : "  \(detail)")
            FileHandle.standardError.write(
                Data(((interactive ? "\r\u{1B}[K" : "") + line + (interactive ? "" : "\n")).utf8))
            if done >= total {
                finished = true
                if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
            }
        }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600
            ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}
