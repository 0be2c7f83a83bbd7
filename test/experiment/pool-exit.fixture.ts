/** A task module for the worker-pool tests: a worker thread that ends itself, in init or mid-task. */
export function init(data: { exitInInit?: boolean } | undefined): void {
  if (data?.exitInInit) process.exit(4);
}

export function handle(item: string): string {
  if (item === 'exit') process.exit(3);
  return item.toUpperCase();
}
