using Microsoft.Extensions.Logging;

namespace Relay.Layer1.Faults;

/// <summary>Fault pipe log messages, event ids 1900–1999.</summary>
internal static partial class FaultPipeLog
{
    [LoggerMessage(EventId = 1900, Level = LogLevel.Information, Message = "Fault pipe {Source} -> {Destination} started: {Profile}")]
    public static partial void Started(ILogger logger, string source, string destination, FaultProfile profile);

    [LoggerMessage(EventId = 1901, Level = LogLevel.Debug, Message = "{FileName}: {Fate}")]
    public static partial void Decided(ILogger logger, string fileName, string fate);

    [LoggerMessage(EventId = 1902, Level = LogLevel.Warning, Message = "Fault pipe could not move {FileName}")]
    public static partial void MoveFailed(ILogger logger, Exception exception, string fileName);

    [LoggerMessage(EventId = 1903, Level = LogLevel.Information, Message = "Fault pipe {Source} -> {Destination} stopped: {Counters}")]
    public static partial void Stopped(ILogger logger, string source, string destination, FaultPipeCounters counters);
}
