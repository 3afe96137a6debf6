namespace Relay.HttpProxy.Exit;

/// <summary>How one relayed request ended on the exit side; <see cref="ExitAnswers"/> says what the caller is told for each.</summary>
internal enum ExitOutcome
{
    /// <summary>The caller's side got its answer whole: the callee's response, a kept one, or the idempotency gate's problem.</summary>
    Served,

    /// <summary>Off the egress allowlist; the callee was never called.</summary>
    TargetRefused,

    /// <summary>The caller's deadline had passed before the request could be sent; the callee was never called.</summary>
    DeadlinePassed,

    /// <summary>No connection to the callee, or it broke before a response head came.</summary>
    CalleeUnreachable,

    /// <summary>The callee sent no response head within the caller's deadline.</summary>
    CalleeTimedOut,

    /// <summary>The callee's response body broke off after the head was sent on.</summary>
    CalleeBodyBroken,

    /// <summary>The caller's side granted no room for the response body for longer than the idle timeout.</summary>
    CallerStalled,

    /// <summary>The caller's side reset the stream (it hung up, or its deadline passed).</summary>
    CallerGone,

    /// <summary>The caller's side broke the protocol; the stream was reset when it was seen.</summary>
    ProtocolViolation,

    /// <summary>This node is stopping; the request is settled by recovery when it starts again.</summary>
    Stopping,
}
