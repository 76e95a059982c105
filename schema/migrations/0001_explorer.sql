CREATE TABLE `account_history` (
	`address` text NOT NULL,
	`height` integer NOT NULL,
	`block_hash` text NOT NULL,
	`timestamp` integer NOT NULL,
	`balance` text NOT NULL,
	`nonce` integer NOT NULL,
	`reputation` text NOT NULL,
	`reputation_real` real NOT NULL,
	PRIMARY KEY(`address`, `height`)
);
--> statement-breakpoint
CREATE INDEX `account_history_block` ON `account_history` (`block_hash`);--> statement-breakpoint
ALTER TABLE `rounds` ADD `commit` text;--> statement-breakpoint
ALTER TABLE `rounds` ADD `beacon` text;--> statement-breakpoint
ALTER TABLE `rounds` ADD `seeds` text;--> statement-breakpoint
ALTER TABLE `rounds` ADD `vote_list` text;--> statement-breakpoint
ALTER TABLE `rounds` ADD `required` integer;--> statement-breakpoint
ALTER TABLE `rounds` ADD `verdict` text;--> statement-breakpoint
CREATE INDEX `rounds_optimizer` ON `rounds` (`optimizer`);--> statement-breakpoint
CREATE INDEX `rounds_reveal_height` ON `rounds` (`reveal_height`);--> statement-breakpoint
CREATE INDEX `rounds_commit` ON `rounds` (`commit`);--> statement-breakpoint
ALTER TABLE `transactions` ADD `recipient` text;--> statement-breakpoint
CREATE INDEX `transactions_recipient` ON `transactions` (`recipient`);
