using System.Runtime.ExceptionServices;
using Sysprint.Diagnostics;
using Sysprint.Engine;

namespace Sysprint.App.Checking;

/// <summary>One recorded batch of <see cref="CheckService.CheckAll"/>, in the order of the inputs.</summary>
/// <param name="Outcomes">The verdicts, already recorded in the store.</param>
/// <param name="LogErrors">Logs of this batch that were malformed or could not be read.</param>
/// <param name="Failure">What stopped the checks after <paramref name="Outcomes"/> (the last batch); null when they go on.</param>
public sealed record CheckBatch(IReadOnlyList<CheckOutcome> Outcomes, IReadOnlyList<SysprintException> LogErrors, ExceptionDispatchInfo? Failure);
