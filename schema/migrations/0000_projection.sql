CREATE TABLE `blocks` (
	`hash` text PRIMARY KEY NOT NULL,
	`height` integer NOT NULL,
	`parent` text NOT NULL,
	`timestamp` integer NOT NULL,
	`producer` text NOT NULL,
	`tx_count` integer NOT NULL,
	`work` text NOT NULL,
	`work_real` real NOT NULL,
	`cumulative_work` text NOT NULL,
	`cumulative_work_real` real NOT NULL,
	`threshold` text NOT NULL,
	`threshold_real` real NOT NULL,
	`supply` text NOT NULL,
	`state_root` text NOT NULL,
	`canonical` integer DEFAULT 1 NOT NULL,
	`body` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `blocks_height` ON `blocks` (`height`);--> statement-breakpoint
CREATE INDEX `blocks_canonical_height` ON `blocks` (`canonical`,`height`);--> statement-breakpoint
CREATE TABLE `chain_metrics` (
	`domain` text NOT NULL,
	`height` integer NOT NULL,
	`block_hash` text NOT NULL,
	`timestamp` integer NOT NULL,
	`champion` text NOT NULL,
	`champion_real` real NOT NULL,
	`champion_optimae` text,
	`threshold` text NOT NULL,
	`work` text NOT NULL,
	`domain_work` text NOT NULL,
	`cumulative_work` text NOT NULL,
	`cumulative_work_real` real NOT NULL,
	`supply` text NOT NULL,
	`accepted` integer NOT NULL,
	PRIMARY KEY(`domain`, `height`)
);
--> statement-breakpoint
CREATE INDEX `chain_metrics_block` ON `chain_metrics` (`block_hash`);--> statement-breakpoint
CREATE TABLE `experiments` (
	`optimae` text PRIMARY KEY NOT NULL,
	`experiment_id` text NOT NULL,
	`round_number` integer NOT NULL,
	`time_to_result_seconds` integer NOT NULL,
	`optimization_config_hash` text NOT NULL,
	`data_hash` text NOT NULL,
	`domain` text NOT NULL,
	`optimizer` text NOT NULL,
	`reported` text NOT NULL,
	`reported_real` real NOT NULL,
	`verified` text NOT NULL,
	`verified_real` real NOT NULL,
	`previous_best` text NOT NULL,
	`previous_best_real` real NOT NULL,
	`increment` text NOT NULL,
	`increment_real` real NOT NULL,
	`accept_tx` text NOT NULL,
	`height` integer NOT NULL,
	`tx_idx` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`block_hash` text NOT NULL,
	`canonical` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `experiments_experiment` ON `experiments` (`experiment_id`);--> statement-breakpoint
CREATE INDEX `experiments_domain` ON `experiments` (`domain`,`canonical`,`height`);--> statement-breakpoint
CREATE INDEX `experiments_chain_order` ON `experiments` (`canonical`,`height`,`tx_idx`);--> statement-breakpoint
CREATE INDEX `experiments_block` ON `experiments` (`block_hash`);--> statement-breakpoint
CREATE TABLE `peers` (
	`url` text PRIMARY KEY NOT NULL,
	`public_key` text,
	`score` real DEFAULT 0 NOT NULL,
	`last_seen` integer
);
--> statement-breakpoint
CREATE TABLE `rounds` (
	`optimae` text PRIMARY KEY NOT NULL,
	`domain` text NOT NULL,
	`optimizer` text NOT NULL,
	`status` text NOT NULL,
	`reported` text NOT NULL,
	`reported_real` real NOT NULL,
	`verified` text,
	`verified_real` real,
	`quorum` text NOT NULL,
	`votes` integer NOT NULL,
	`agreeing` integer NOT NULL,
	`reveal_height` integer NOT NULL,
	`deadline` integer NOT NULL,
	`updated_height` integer NOT NULL,
	`updated_block` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rounds_status` ON `rounds` (`status`);--> statement-breakpoint
CREATE INDEX `rounds_domain` ON `rounds` (`domain`);--> statement-breakpoint
CREATE INDEX `rounds_updated_block` ON `rounds` (`updated_block`);--> statement-breakpoint
CREATE TABLE `transactions` (
	`id` text PRIMARY KEY NOT NULL,
	`block_hash` text NOT NULL,
	`height` integer NOT NULL,
	`idx` integer NOT NULL,
	`kind` text NOT NULL,
	`sender` text NOT NULL,
	`nonce` integer NOT NULL,
	`fee` text NOT NULL,
	`canonical` integer DEFAULT 1 NOT NULL,
	`body` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `transactions_block` ON `transactions` (`block_hash`);--> statement-breakpoint
CREATE INDEX `transactions_kind` ON `transactions` (`kind`);--> statement-breakpoint
CREATE INDEX `transactions_sender` ON `transactions` (`sender`);--> statement-breakpoint
CREATE INDEX `transactions_height` ON `transactions` (`height`);
