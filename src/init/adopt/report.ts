/** One line of what `tm init --adopt` did with something it read. */
export interface Finding {
  /** What was read: `docker-compose.yml services.db`, `.env.example JWT_SECRET`, `package.json scripts.dev`. */
  from: string;
  /** Where it went in taskmaster.yml, when it was mapped. */
  to?: string;
  /** mapped; unmapped (left out); note (mapped, with a difference worth knowing). */
  status: 'mapped' | 'unmapped' | 'note';
  /** What it became or why not; never a secret's value. */
  detail: string;
}
