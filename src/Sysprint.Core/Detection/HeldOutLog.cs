namespace Sysprint.Detection;

/// <summary>One learnt log scored as held out (<see cref="HeldOut"/>).</summary>
/// <param name="Log">Its trace id in the model.</param>
/// <param name="Calls">Its number of calls.</param>
/// <param name="Novel">Its unseen windows of k calls, index k = 0..<see cref="SubstringModel.MaxWindow"/>.</param>
/// <param name="CallSetDistance">Jaccard distance from its distinct calls to the nearest of a log learnt before its part.</param>
public sealed record HeldOutLog(int Log, long Calls, long[] Novel, double CallSetDistance);
