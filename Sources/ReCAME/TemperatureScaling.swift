import Foundation
import Tensor

/// Calibration by one temperature (§3): the T > 0 that minimises the negative log-likelihood of
/// softmax(logits / T) on held-out labels. The NLL is convex in 1/T, so a golden-section search over
/// log T finds the minimum; the search stays inside [0.05, 20], where any sane model's T lies.
public enum TemperatureScaling {
    public static let range: ClosedRange<Double> = 0.05...20

    /// The mean negative log-likelihood of `labels` under softmax(logits / temperature).
    public static func negativeLogLikelihood(logits: Tensor, labels: [Int], temperature: Double) -> Double {
        let classes = logits.shape[1]
        let inverse = 1 / temperature
        var total = 0.0
        logits.withUnsafeBufferPointer { z in
            for (row, label) in labels.enumerated() {
                let base = row * classes
                var largest = -Double.infinity
                for c in 0..<classes { largest = max(largest, Double(z[base + c]) * inverse) }
                var sum = 0.0
                for c in 0..<classes { sum += exp(Double(z[base + c]) * inverse - largest) }
                total += largest + log(sum) - Double(z[base + label]) * inverse
            }
        }
        return total / Double(max(labels.count, 1))
    }

    /// The fitted temperature and the NLL before (T = 1) and after.
    public static func fit(logits: Tensor, labels: [Int]) throws -> (
        temperature: Double, nllBefore: Double, nllAfter: Double
    ) {
        guard logits.rank == 2, logits.shape[0] == labels.count, !labels.isEmpty else {
            throw TrainingError.invalidData(
                "temperature fit: \(labels.count) labels for logits of shape \(logits.shape)")
        }
        guard let bad = labels.firstIndex(where: { $0 < 0 || $0 >= logits.shape[1] }) else {
            return search(logits: logits, labels: labels)
        }
        throw TrainingError.invalidData(
            "temperature fit: label \(labels[bad]) at \(bad) outside 0..<\(logits.shape[1])")
    }

    private static func search(logits: Tensor, labels: [Int]) -> (Double, Double, Double) {
        func nll(_ logT: Double) -> Double {
            negativeLogLikelihood(logits: logits, labels: labels, temperature: exp(logT))
        }
        let ratio = (5.0.squareRoot() - 1) / 2
        var low = log(range.lowerBound)
        var high = log(range.upperBound)
        var a = high - ratio * (high - low)
        var b = low + ratio * (high - low)
        var fa = nll(a)
        var fb = nll(b)
        for _ in 0..<60 {
            if fa <= fb {
                high = b
                b = a
                fb = fa
                a = high - ratio * (high - low)
                fa = nll(a)
            } else {
                low = a
                a = b
                fa = fb
                b = low + ratio * (high - low)
                fb = nll(b)
            }
        }
        let best = (low + high) / 2
        let before = nll(0)
        let after = nll(best)
        // A flat or noisy NLL must never make calibration worse than no calibration.
        return after <= before ? (exp(best), before, after) : (1, before, before)
    }
}
