import Foundation
import Pipeline
import Postgres

enum ResultsCommand: Command {
    static let name = "results"
    static let summary = "print a batch's summary"
    static let usage = """
        usage: recame results [--batch ID] [--recent N] [--json] [--database-url URL]

        With --batch: the batch's summary from the batch_summary view (expected, processed, dead-lettered,
        needs review, tail predictions, first and last prediction time) and its predictions per class.
        Without: the N most recent batches (default 10).

          --batch ID         one batch
          --recent N         how many recent batches to list (default 10)
          --json             one JSON object (or one per line for the list) instead of tables
          --database-url U   PostgreSQL (default: DATABASE_URL, else libpq's PG* variables)
        """
    static var booleanFlags: Set<String> { ["json"] }

    static func run(_ arguments: Arguments) throws -> Int32 {
        let batchID = arguments.string("batch")
        let recent = try arguments.int("recent", default: 10, range: 1...10_000)
        let json = arguments.flag("json")
        let databaseURL = arguments.databaseURL()
        try arguments.finish()
        let store = ResultsStore(
            connection: try PostgresConnection(url: databaseURL, applicationName: "recame results"))
        guard let batchID else {
            let batches = try store.recent(limit: recent)
            if json {
                for batch in batches { print(try jsonLine(batch, classes: nil)) }
            } else {
                print(
                    TextTable(
                        header: ["batch", "expected", "processed", "dead", "review", "tail", "last prediction"],
                        rows: batches.map { b in
                            [
                                b.batchID, b.expected.map(String.init) ?? "?", "\(b.processed)", "\(b.deadLettered)",
                                "\(b.needsReview)", "\(b.tail)", b.lastAt.map(format) ?? "",
                            ]
                        }))
            }
            return 0
        }
        guard let summary = try store.summary(batchID: batchID) else {
            throw PipelineError("no batch '\(batchID)'")
        }
        let classes = try store.classes(batchID: batchID)
        if json {
            print(try jsonLine(summary, classes: classes))
            return 0
        }
        let done = summary.processed + summary.deadLettered
        let state =
            summary.isComplete ? "complete" : "in progress (\(done) of \(summary.expected.map(String.init) ?? "?"))"
        print("batch \(summary.batchID): \(state)")
        let rows: [(String, String)] = [
            ("wafer", summary.waferID ?? "(several)"), ("product", summary.product ?? ""),
            ("expected", summary.expected.map(String.init) ?? "unknown"), ("processed", "\(summary.processed)"),
            ("dead-lettered", "\(summary.deadLettered)"), ("needs review", "\(summary.needsReview)"),
            ("tail-class predictions", "\(summary.tail)"), ("first prediction", summary.firstAt.map(format) ?? ""),
            ("last prediction", summary.lastAt.map(format) ?? ""),
        ]
        print(TextTable(header: ["", ""], rows: rows.map { [$0.0, $0.1] }))
        print("")
        print(
            TextTable(
                header: ["class", "images", "needs review", "mean confidence", "tail"],
                rows: classes.map {
                    [
                        $0.className, "\($0.count)", "\($0.needsReview)", String(format: "%.3f", $0.meanConfidence),
                        $0.isTail ? "yes" : "",
                    ]
                }))
        return 0
    }

    private static func format(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    private static func jsonLine(_ s: ResultsStore.Summary, classes: [ResultsStore.ClassRow]?) throws -> String {
        var object: [String: Any] = [
            "batch_id": s.batchID, "processed": s.processed, "dead_lettered": s.deadLettered,
            "needs_review": s.needsReview, "tail": s.tail, "complete": s.isComplete,
            "class_counts": (try? JSONSerialization.jsonObject(with: Data(s.classCountsJSON.utf8))) ?? [:],
        ]
        object["expected"] = s.expected ?? NSNull()
        object["wafer_id"] = s.waferID ?? NSNull()
        object["first_at"] = s.firstAt.map(format) ?? NSNull()
        object["last_at"] = s.lastAt.map(format) ?? NSNull()
        if let classes {
            object["classes"] = classes.map {
                [
                    "class": $0.className, "images": $0.count, "needs_review": $0.needsReview,
                    "mean_confidence": $0.meanConfidence, "tail": $0.isTail,
                ] as [String: Any]
            }
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
