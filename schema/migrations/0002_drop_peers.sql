DROP TABLE `peers`;
