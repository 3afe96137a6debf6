using System.Diagnostics.Metrics;
using System.IO.Abstractions;
using Microsoft.Extensions.Logging;

namespace Relay.Layer1;

/// <summary>What a node uses from its host; every member has a working default.</summary>
public sealed class Layer1NodeServices
{
    public IFileSystem FileSystem { get; init; } = new FileSystem();

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public IMeterFactory? MeterFactory { get; init; }
}
