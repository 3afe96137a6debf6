namespace Relay.Host.Tests.Configuration;

/// <summary>Tests that read or set process environment variables run alone.</summary>
[CollectionDefinition(nameof(EnvironmentTests), DisableParallelization = true)]
public sealed class EnvironmentTests;
