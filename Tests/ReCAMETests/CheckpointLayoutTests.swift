import Foundation
import ReCAME
import XCTest

final class CheckpointLayoutTests: XCTestCase {
    func testResNet20ThreeExpertsOneChannelTenClasses() throws {
        let layout = CheckpointLayout(ModelConfigurationTests.fashion())
        // Per expert: stem conv + BN (5), 9 blocks × (2 convs, 2 BNs, RCA = 14), 2 projections × 5,
        // classifier 2 → 143; three experts → 429.
        XCTAssertEqual(layout.tensors.count, 429)
        XCTAssertEqual(Set(layout.names).count, 429, "names must be unique")

        let expected: [(String, [Int])] = [
            ("experts.0.conv1.weight", [16, 1, 3, 3]),
            ("experts.0.bn1.running_var", [16]),
            ("experts.0.layer1.0.conv1.weight", [16, 16, 3, 3]),
            ("experts.0.layer1.0.rca.fc1.weight", [4, 16]),  // max(16 / 16, 4) = 4
            ("experts.0.layer1.0.rca.fc1.bias", [4]),
            ("experts.0.layer1.0.rca.fc2.weight", [16, 4]),
            ("experts.0.layer1.0.rca.fc2.bias", [16]),
            ("experts.1.layer2.0.conv1.weight", [32, 16, 3, 3]),
            ("experts.1.layer2.0.shortcut.conv.weight", [32, 16, 1, 1]),
            ("experts.1.layer2.0.shortcut.bn.running_mean", [32]),
            ("experts.1.layer2.2.conv2.weight", [32, 32, 3, 3]),
            ("experts.2.layer3.0.shortcut.conv.weight", [64, 32, 1, 1]),
            ("experts.2.layer3.2.rca.fc1.weight", [4, 64]),  // max(64 / 16, 4) = 4
            ("experts.2.layer3.2.bn2.bias", [64]),
            ("experts.2.classifier.weight", [10, 64]),
            ("experts.2.classifier.bias", [10]),
        ]
        for (name, shape) in expected { XCTAssertEqual(layout.shape(of: name), shape, name) }
        for absent in [
            "experts.0.layer1.0.shortcut.conv.weight", "experts.0.layer2.1.shortcut.conv.weight",
            "experts.3.conv1.weight", "experts.0.layer1.3.conv1.weight", "experts.0.bn1.num_batches_tracked",
        ] {
            XCTAssertNil(layout.shape(of: absent), absent)
        }
        XCTAssertEqual(layout.tensors.first?.name, "experts.0.conv1.weight")
        XCTAssertEqual(layout.tensors.last?.name, "experts.2.classifier.bias")
        XCTAssertEqual(layout.tensors.filter { $0.name.hasSuffix(".shortcut.conv.weight") }.count, 6)
        XCTAssertEqual(layout.tensors.filter { $0.name.hasSuffix(".rca.fc1.weight") }.count, 27)
    }

    func testWiderDeeperThreeChannelStudent() {
        var configuration = ModelConfigurationTests.fashion(experts: 1, depth: 32)
        configuration.kind = .student
        configuration.inChannels = 3
        configuration.mean = [0.5, 0.5, 0.5]
        configuration.std = [0.2, 0.2, 0.2]
        configuration.widths = ModelConfiguration.widths(multiplier: 4)
        configuration.rcaReduction = 8
        let layout = CheckpointLayout(configuration)
        XCTAssertEqual(layout.tensors.count, 5 + 15 * 14 + 2 * 5 + 2)
        XCTAssertEqual(layout.shape(of: "experts.0.conv1.weight"), [64, 3, 3, 3])
        XCTAssertEqual(layout.shape(of: "experts.0.layer1.4.rca.fc1.weight"), [8, 64])  // 64 / 8
        XCTAssertEqual(layout.shape(of: "experts.0.layer3.4.rca.fc2.weight"), [256, 32])  // 256 / 8
        XCTAssertEqual(layout.shape(of: "experts.0.classifier.weight"), [10, 256])
        XCTAssertNil(layout.shape(of: "experts.1.conv1.weight"))
    }

    func testStageOneProjectsWhenTheStemIsNarrower() {
        // widths[0] is also the stem's width, so stage 1 never changes channels: no projection there.
        var configuration = ModelConfigurationTests.fashion(experts: 1)
        configuration.widths = [8, 8, 8]
        let layout = CheckpointLayout(configuration)
        XCTAssertNil(layout.shape(of: "experts.0.layer1.0.shortcut.conv.weight"))
        // Stride 2 alone still needs a projection, even at equal widths.
        XCTAssertEqual(layout.shape(of: "experts.0.layer2.0.shortcut.conv.weight"), [8, 8, 1, 1])
        XCTAssertEqual(layout.shape(of: "experts.0.layer3.0.shortcut.conv.weight"), [8, 8, 1, 1])
    }
}
