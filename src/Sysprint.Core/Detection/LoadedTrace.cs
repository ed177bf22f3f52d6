namespace Sysprint.Detection;

/// <summary>One log held in memory for evaluation: its threads' call sequences (syscall numbers).</summary>
/// <param name="Kind">The attack kind for attack traces (the first-level folder), null for normal ones.</param>
public sealed record LoadedTrace(string Path, string? Kind, int[][] Threads)
{
    public long Calls
    {
        get
        {
            long n = 0;
            foreach (int[] thread in Threads)
            {
                n += thread.Length;
            }

            return n;
        }
    }
}
