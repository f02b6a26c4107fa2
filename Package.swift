// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every Swift target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Rapport",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rapport", targets: ["rapport"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Only the server; the default traits pull in swift-configuration, which Rapport does not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Already built for postgres-nio; named for the TLS settings of a PostgreSQL store.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // libcurl, through pkg-config, and a few lines of C for its variadic calls.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "CCurlShims", dependencies: ["CCurl"]),

        // Model, policy and planner: pure, no I/O, time is a parameter.
        .target(
            name: "RapportCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The outbox: the only home of a message.
        .target(
            name: "RapportStore",
            dependencies: [
                "RapportCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Transports (SMTP, webhook, maildir), MIME and signing.
        .target(
            name: "RapportDelivery",
            dependencies: ["RapportCore", "CCurl", "CCurlShims", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Configuration, data loading, rendering, the tick and the daemon around it.
        .target(
            name: "RapportDaemon",
            dependencies: [
                "RapportCore", "RapportStore", "RapportDelivery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The optional HTTP listener: /metrics, /healthz, /readyz (and later routes).
        .target(
            name: "RapportHTTP",
            dependencies: [
                "RapportCore", "RapportStore", "RapportDaemon",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one executable: `rapport run` and the operator commands.
        .executableTarget(
            name: "rapport",
            dependencies: [
                "RapportCore", "RapportStore", "RapportDelivery", "RapportDaemon", "RapportHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the test targets (a library under Tests/, never shipped).
        .target(name: "RapportTestSupport", path: "Tests/RapportTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "RapportCoreTests", dependencies: ["RapportCore", "RapportTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RapportStoreTests",
            dependencies: [
                "RapportCore", "RapportStore", "RapportTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RapportDeliveryTests", dependencies: ["RapportDelivery", "RapportTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RapportDaemonTests",
            dependencies: [
                "RapportCore", "RapportStore", "RapportDelivery", "RapportDaemon",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "RapportCLITests", dependencies: ["RapportTestSupport"], swiftSettings: swiftSettings),
    ]
)
