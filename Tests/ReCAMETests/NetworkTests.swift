import ReCAME
import Tensor
import XCTest

final class NetworkTests: XCTestCase {
    func testStateNamesAndShapesFollowTheCheckpointContract() throws {
        let architecture = NetworkArchitecture(depth: 20, experts: 2, classes: 10)
        let network = try ReCAMENetwork(architecture: architecture, seed: 1)
        let parameters = network.namedParameters()
        let buffers = network.namedBuffers()
        XCTAssertEqual(parameters["experts.0.conv1.weight"]?.shape, [16, 1, 3, 3])
        XCTAssertEqual(buffers["experts.1.bn1.running_var"]?.shape, [16])
        XCTAssertEqual(parameters["experts.0.layer1.2.conv2.weight"]?.shape, [16, 16, 3, 3])
        XCTAssertEqual(parameters["experts.0.layer2.0.rca.fc1.weight"]?.shape, [4, 32])
        XCTAssertEqual(parameters["experts.0.layer2.0.rca.fc1.bias"]?.shape, [4])
        XCTAssertEqual(parameters["experts.1.layer3.1.rca.fc2.weight"]?.shape, [64, 4])
        XCTAssertEqual(parameters["experts.1.layer3.1.rca.fc2.bias"]?.shape, [64])
        XCTAssertEqual(parameters["experts.0.layer3.0.shortcut.conv.weight"]?.shape, [64, 32, 1, 1])
        XCTAssertEqual(buffers["experts.0.layer3.0.shortcut.bn.running_mean"]?.shape, [64])
        XCTAssertNil(parameters["experts.0.layer1.0.shortcut.conv.weight"])
        XCTAssertNil(parameters["experts.0.layer2.1.shortcut.conv.weight"])
        XCTAssertEqual(parameters["experts.1.classifier.weight"]?.shape, [10, 64])
        XCTAssertEqual(parameters["experts.1.classifier.bias"]?.shape, [10])
        // Per expert: stem conv + BN (2 parameters, 2 buffers); 9 blocks × (2 convs, 2 BNs, 4 RCA);
        // 2 shortcuts × (conv + BN); the classifier's weight and bias.
        let perExpertParameters = 1 + 2 + 9 * (2 + 4 + 4) + 2 * (1 + 2) + 2
        let perExpertBuffers = 2 + 9 * 4 + 2 * 2
        XCTAssertEqual(parameters.count, 2 * perExpertParameters)
        XCTAssertEqual(buffers.count, 2 * perExpertBuffers)
        XCTAssertEqual(network.parameters.count, parameters.count)
        XCTAssertEqual(network.stateShapes().count, parameters.count + buffers.count)
    }

    func testSameSeedSameNetworkAndLoadingStateReproducesLogits() throws {
        let architecture = tinyArchitecture()
        let a = try ReCAMENetwork(architecture: architecture, seed: 3)
        let b = try ReCAMENetwork(architecture: architecture, seed: 3)
        let c = try ReCAMENetwork(architecture: architecture, seed: 4)
        XCTAssertEqual(a.stateDictionary(), b.stateDictionary())
        XCTAssertNotEqual(a.stateDictionary(), c.stateDictionary())
        // Experts are independent networks, not copies of one another.
        XCTAssertNotEqual(
            a.namedParameters()["experts.0.conv1.weight"], a.namedParameters()["experts.1.conv1.weight"])

        var generator = SeededGenerator(seed: 5)
        let images = GradientCheck.randomTensor([3, 1, 8, 8], generator: &generator)
        _ = try a.forward(images, training: true)  // moves the running statistics off their defaults
        try c.loadStateDictionary(a.stateDictionary())
        XCTAssertEqual(try a.ensembleLogits(images), try c.ensembleLogits(images))
    }

    func testLoadingRejectsMissingExtraAndMisshapenTensors() throws {
        let network = try ReCAMENetwork(architecture: tinyArchitecture(), seed: 1)
        let before = network.stateDictionary()
        var missing = before
        missing["experts.1.layer2.0.rca.fc2.bias"] = nil
        XCTAssertThrowsError(try network.loadStateDictionary(missing)) { error in
            XCTAssertTrue("\(error)".contains("experts.1.layer2.0.rca.fc2.bias"), "\(error)")
        }
        var extra = before
        extra["experts.2.conv1.weight"] = Tensor(zeros: [4, 1, 3, 3])
        XCTAssertThrowsError(try network.loadStateDictionary(extra)) { error in
            XCTAssertTrue("\(error)".contains("experts.2.conv1.weight"), "\(error)")
        }
        var misshapen = before
        misshapen["experts.0.classifier.weight"] = Tensor(zeros: [4, 15])
        misshapen["experts.0.conv1.weight"] = Tensor(zeros: [4, 1, 3, 3])
        XCTAssertThrowsError(try network.loadStateDictionary(misshapen)) { error in
            XCTAssertTrue("\(error)".contains("experts.0.classifier.weight"), "\(error)")
        }
        XCTAssertEqual(network.stateDictionary(), before, "a refused load changes nothing")
    }

    func testRejectsBadArchitecturesAndImages() throws {
        XCTAssertThrowsError(try ReCAMENetwork(architecture: tinyArchitecture(size: 3), seed: 1))
        var badDepth = tinyArchitecture()
        badDepth.depth = 21
        XCTAssertThrowsError(try ReCAMENetwork(architecture: badDepth, seed: 1))
        var badChannels = tinyArchitecture()
        badChannels.inputChannels = 2
        XCTAssertThrowsError(try ReCAMENetwork(architecture: badChannels, seed: 1))
        let network = try ReCAMENetwork(architecture: tinyArchitecture(), seed: 1)
        XCTAssertThrowsError(try network.forward(Tensor(zeros: [2, 1, 9, 8]), training: false))
        XCTAssertThrowsError(try network.forward(Tensor(zeros: [2, 3, 8, 8]), training: false))
        XCTAssertThrowsError(try network.forward(Tensor(zeros: [0, 1, 8, 8]), training: false))
    }

    /// The whole network's backward pass (training-mode BatchNorm, full loss) against a directional
    /// finite difference along a random direction in every parameter.
    func testFullNetworkGradientAlongARandomDirection() throws {
        let network = try ReCAMENetwork(architecture: tinyArchitecture(experts: 2, classes: 4), seed: 6)
        let loss = try ReCAMELoss(configuration: .paper, classCounts: [20, 10, 5, 2])
        var generator = SeededGenerator(seed: 7)
        let images = GradientCheck.randomTensor([6, 1, 8, 8], generator: &generator)
        let labels = [0, 1, 2, 3, 0, 1]
        let outputs = try network.forward(images, training: true)
        let evaluation = try loss.evaluate(outputs: outputs, labels: labels)
        network.zeroGradients()
        try network.backward(
            logitsGradients: evaluation.logitsGradients, featuresGradients: evaluation.featuresGradients)
        let parameters = network.parameters
        let originals = parameters.map(\.value)
        // A unit direction half along the gradient (so that the derivative is well above float noise)
        // and half random (so that a gradient wrong in direction shows as well as one wrong in size).
        func normalized(_ tensors: [Tensor]) -> [Tensor] {
            let norm = tensors.map { GradientCheck.projection($0, onto: $0) }.reduce(0, +).squareRoot()
            return tensors.map { $0.scaled(by: Float(1 / norm)) }
        }
        let random = normalized(
            parameters.map {
                GradientCheck.randomTensor($0.value.shape, generator: &generator)
            })
        let alongGradient = normalized(parameters.map(\.gradient))
        let directions = normalized(try zip(random, alongGradient).map { try $0.adding($1) })
        var analytic = 0.0
        for (parameter, direction) in zip(parameters, directions) {
            analytic += GradientCheck.projection(parameter.gradient, onto: direction)
        }
        func lossAlong(_ step: Float) throws -> Double {
            for (index, parameter) in parameters.enumerated() {
                parameter.value = originals[index]
                try parameter.value.add(directions[index], scaledBy: step)
            }
            let outputs = try network.forward(images, training: true)
            return try loss.evaluate(outputs: outputs, labels: labels).terms.total
        }
        let step: Float = 1e-3
        let numeric = (try lossAlong(step) - lossAlong(-step)) / Double(2 * step)
        for (index, parameter) in parameters.enumerated() { parameter.value = originals[index] }
        XCTAssertEqual(numeric, analytic, accuracy: 0.02 * abs(analytic))
    }
}
