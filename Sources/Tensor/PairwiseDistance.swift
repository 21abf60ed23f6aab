/// Euclidean distances between all rows of a feature matrix [B, D] → [B, B].
public enum PairwiseDistance {
    public static func distances(_ features: Tensor) throws -> Tensor {
        try features.checkRank(2, "pairwise distance features")
        let (rows, width) = (features.shape[0], features.shape[1])
        var result = Tensor(zeros: [rows, rows])
        features.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { d in
                for i in 0..<rows {
                    for j in (i + 1)..<rows {
                        // Differences directly rather than ‖a‖² + ‖b‖² − 2ab: no cancellation near zero.
                        var squares: Float = 0
                        for k in 0..<width {
                            let diff = x[i * width + k] - x[j * width + k]
                            squares += diff * diff
                        }
                        let distance = squares.squareRoot()
                        d[i * rows + j] = distance
                        d[j * rows + i] = distance
                    }
                }
            }
        }
        return result
    }

    /// Gradient with respect to the features given ∂L/∂d for every entry (i, j) of the matrix.
    /// Where two rows coincide the distance is not differentiable; the gradient there is taken as 0.
    public static func backward(features: Tensor, distances: Tensor, distanceGradient: Tensor) throws
        -> Tensor
    {
        let (rows, width) = (features.shape[0], features.shape[1])
        try distances.checkShape([rows, rows], "pairwise distances")
        try distanceGradient.checkShape([rows, rows], "pairwise distance gradient")
        var result = Tensor(zeros: features.shape)
        features.withUnsafeBufferPointer { x in
            distances.withUnsafeBufferPointer { d in
                distanceGradient.withUnsafeBufferPointer { g in
                    result.withUnsafeMutableBufferPointer { dx in
                        for i in 0..<rows {
                            for j in 0..<rows where i != j {
                                let distance = d[i * rows + j]
                                let weight = g[i * rows + j]
                                if distance <= 0 || weight == 0 { continue }
                                let factor = weight / distance
                                for k in 0..<width {
                                    let diff = x[i * width + k] - x[j * width + k]
                                    dx[i * width + k] += factor * diff
                                    dx[j * width + k] -= factor * diff
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
