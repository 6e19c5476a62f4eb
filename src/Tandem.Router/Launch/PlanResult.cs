using System.Diagnostics.CodeAnalysis;

namespace Tandem.Router.Launch;

/// <summary>The plan, or the reasons there is none.</summary>
public sealed record PlanResult(InstancePlan? Plan, IReadOnlyList<string> Problems)
{
    [MemberNotNullWhen(true, nameof(Plan))]
    public bool IsValid => Plan is not null && Problems.Count == 0;
}
