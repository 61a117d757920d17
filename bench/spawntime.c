/* spawntime RUNS CMD-A... -- CMD-B...: start each command RUNS times, A and B taking turns,
   with stdin and stdout on /dev/null, and print the median wall time of each in ms:
   "A-median B-median". Taking turns keeps a noisy moment of a shared machine from landing
   on one side only (hyperfine runs all of one command, then all of the other). */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double run(char **argv, posix_spawn_file_actions_t *fa)
{
  struct timespec t0, t1;
  pid_t pid;
  int status;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (posix_spawn(&pid, argv[0], fa, 0, argv, environ) != 0) { perror(argv[0]); exit(111); }
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "spawntime: %s failed\n", argv[0]);
    exit(111);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  posix_spawn_file_actions_t fa;
  char **a, **b;
  double *ta, *tb;
  int runs, i, split = 0;

  if (argc < 5) { fprintf(stderr, "spawntime: usage: spawntime RUNS A... -- B...\n"); return 100; }
  runs = atoi(argv[1]);
  for (i = 2; i < argc; ++i) if (strcmp(argv[i], "--") == 0) split = i;
  if (runs < 1 || split < 3 || split == argc - 1) { fprintf(stderr, "spawntime: usage: spawntime RUNS A... -- B...\n"); return 100; }
  argv[split] = 0;
  a = argv + 2;
  b = argv + split + 1;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  ta = calloc(runs, sizeof *ta);
  tb = calloc(runs, sizeof *tb);
  for (i = 0; i < 20; ++i) { run(a, &fa); run(b, &fa); }
  for (i = 0; i < runs; ++i) { ta[i] = run(a, &fa); tb[i] = run(b, &fa); }
  qsort(ta, runs, sizeof *ta, cmp);
  qsort(tb, runs, sizeof *tb, cmp);
  printf("%.3f %.3f\n", ta[runs / 2], tb[runs / 2]);
  return 0;
}
