using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Streams;

/// <summary>A relayed body ended without being complete: reset by the far side, truncated, or broken locally.</summary>
internal class StreamResetException : IOException
{
    public StreamResetException(ResetReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public StreamResetException()
        : this(ResetReason.ProtocolViolation, "The relayed stream was reset.")
    {
    }

    public StreamResetException(string message)
        : this(ResetReason.ProtocolViolation, message)
    {
    }

    public StreamResetException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = ResetReason.ProtocolViolation;
    }

    public ResetReason Reason { get; }
}
