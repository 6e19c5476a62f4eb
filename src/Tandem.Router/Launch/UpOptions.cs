namespace Tandem.Router.Launch;

/// <summary>How <c>tandem up</c> runs a deployment; the CLI fills it from its flags.</summary>
public sealed record UpOptions
{
    /// <summary>The disaggregated YAML, passed to the router child as is.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>Restart a child that exits after startup, with exponential backoff, instead of stopping everything.</summary>
    public bool Restart { get; init; }

    /// <summary>Passed to every child (<c>--log_level</c>); null keeps their default.</summary>
    public string? LogLevel { get; init; }

    /// <summary>How long every child may take to answer <c>GET /health</c> (also the router's <c>-t</c>).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>How long a child may take to exit after SIGTERM before it is killed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First restart delay; each further one doubles, up to <see cref="MaxRestartDelay"/>.</summary>
    public TimeSpan FirstRestartDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRestartDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A child that ran at least this long before it died starts again from <see cref="FirstRestartDelay"/>.</summary>
    public TimeSpan StableRun { get; init; } = TimeSpan.FromSeconds(60);

    public SelfInvocation Self { get; init; } = SelfInvocation.Current();

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
