namespace Relay.HttpProxy.Tests;

/// <summary>Tests that move hundreds of megabytes or run child processes: one at a time, so they do not starve each other on small machines.</summary>
[CollectionDefinition(nameof(HeavyTests), DisableParallelization = true)]
public sealed class HeavyTests;
