/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.11-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 127.0.0.1    Database: devops
-- ------------------------------------------------------
-- Server version	8.0.11

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `flyway_schema_history`
--

DROP TABLE IF EXISTS `flyway_schema_history`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `flyway_schema_history` (
  `installed_rank` int(11) NOT NULL,
  `version` varchar(50) DEFAULT NULL,
  `description` varchar(200) NOT NULL,
  `type` varchar(20) NOT NULL,
  `script` varchar(1000) NOT NULL,
  `checksum` int(11) DEFAULT NULL,
  `installed_by` varchar(100) NOT NULL,
  `installed_on` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `execution_time` int(11) NOT NULL,
  `success` tinyint(1) NOT NULL,
  PRIMARY KEY (`installed_rank`),
  KEY `flyway_schema_history_s_idx` (`success`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `flyway_schema_history`
--

LOCK TABLES `flyway_schema_history` WRITE;
/*!40000 ALTER TABLE `flyway_schema_history` DISABLE KEYS */;
INSERT INTO `flyway_schema_history` VALUES
(1,'0.1','init','SQL','V0_1__init.sql',-1405373337,'root','2019-12-10 06:31:02',41,1),
(2,'0.2','credential','SQL','V0_2__credential.sql',1146021398,'root','2019-12-10 06:31:02',15,1),
(3,'0.3','workspace','SQL','V0_3__workspace.sql',-684221510,'root','2019-12-10 06:31:03',87,1);
/*!40000 ALTER TABLE `flyway_schema_history` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `project`
--

DROP TABLE IF EXISTS `project`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `project` (
  `project_id` varchar(50) NOT NULL,
  `name` varchar(50) NOT NULL,
  `description` text NOT NULL,
  `creator` varchar(50) NOT NULL,
  `create_time` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `status` varchar(50) NOT NULL,
  `visibility` varchar(50) NOT NULL,
  `extra` text NOT NULL,
  `workspace` varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`project_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `project`
--

LOCK TABLES `project` WRITE;
/*!40000 ALTER TABLE `project` DISABLE KEYS */;
INSERT INTO `project` VALUES
('project-B6BZVN3mOPvx','Team Alpha_CI','Alpha\'s \"CI\" sandbox\nbuilds for C:\\ci too','bob','2020-03-05 14:02:11','active','private','','alpha-workspace'),
('project-qJ8xY2mR5kLp','beta-services','Beta services — 部署','carol','2020-03-10 11:45:09','active','private','','beta-workspace'),
('project-R2dE5tGhY8uI','old-sandbox','','carol','2020-01-20 09:00:00','deleted','private','','beta-workspace'),
('project-W4zNlwJLzgRB','alpha-ci','Alpha team CI/CD pipelines','alice','2020-03-02 08:15:42','active','private','','alpha-workspace'),
('project-Zx3Kd9PwQn7T','beta-legacy','Jenkins folder was removed by hand','carol','2020-04-01 07:30:00','active','private','','beta-workspace');
/*!40000 ALTER TABLE `project` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `project_credential`
--

DROP TABLE IF EXISTS `project_credential`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `project_credential` (
  `project_id` varchar(50) NOT NULL,
  `credential_id` varchar(255) NOT NULL,
  `domain` varchar(255) NOT NULL,
  `creator` varchar(50) NOT NULL,
  `create_time` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (`project_id`,`credential_id`,`domain`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `project_credential`
--

LOCK TABLES `project_credential` WRITE;
/*!40000 ALTER TABLE `project_credential` DISABLE KEYS */;
INSERT INTO `project_credential` VALUES
('project-B6BZVN3mOPvx','build-ssh','_','bob','2020-03-05 14:10:00'),
('project-B6BZVN3mOPvx','harbor-robot','_','bob','2020-03-05 14:12:00'),
('project-B6BZVN3mOPvx','svn-reader','_','bob','2020-03-05 14:11:00'),
('project-qJ8xY2mR5kLp','bitbucket-carol-9f8e7d','_','carol','2020-03-10 12:05:00'),
('project-qJ8xY2mR5kLp','db-password','_','carol','2020-03-11 08:01:00'),
('project-qJ8xY2mR5kLp','github-a1b2c3','_','carol','2020-03-10 12:00:00'),
('project-qJ8xY2mR5kLp','staging-kubeconfig','_','carol','2020-03-11 08:00:00'),
('project-R2dE5tGhY8uI','old-token','_','carol','2020-01-20 09:05:00'),
('project-W4zNlwJLzgRB','deploy-ssh','_','alice','2020-03-02 08:21:13'),
('project-W4zNlwJLzgRB','GitHub_Token','_','dave','2020-03-03 10:05:44'),
('project-W4zNlwJLzgRB','gitlab-deploy','_','alice','2020-03-02 08:20:01'),
('project-W4zNlwJLzgRB','prod-kubeconfig','_','alice','2020-03-04 16:42:30'),
('project-W4zNlwJLzgRB','removed-cred','_','dave','2020-03-05 09:00:00'),
('project-W4zNlwJLzgRB','sonar-token','_','alice','2020-03-04 16:40:00');
/*!40000 ALTER TABLE `project_credential` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `project_membership`
--

DROP TABLE IF EXISTS `project_membership`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `project_membership` (
  `username` varchar(50) NOT NULL,
  `project_id` varchar(50) NOT NULL,
  `role` varchar(50) NOT NULL,
  `status` varchar(50) NOT NULL,
  `grant_by` varchar(50) NOT NULL,
  PRIMARY KEY (`username`,`project_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `project_membership`
--

LOCK TABLES `project_membership` WRITE;
/*!40000 ALTER TABLE `project_membership` DISABLE KEYS */;
INSERT INTO `project_membership` VALUES
('alice','project-B6BZVN3mOPvx','developer','active','bob'),
('alice','project-W4zNlwJLzgRB','owner','active','alice'),
('bob','project-B6BZVN3mOPvx','owner','active','bob'),
('carol','project-qJ8xY2mR5kLp','owner','active','carol'),
('carol','project-Zx3Kd9PwQn7T','owner','active','carol'),
('dave','project-qJ8xY2mR5kLp','developer','active','carol'),
('dave','project-W4zNlwJLzgRB','maintainer','active','alice'),
('erin','project-W4zNlwJLzgRB','developer','active','alice'),
('frank','project-W4zNlwJLzgRB','reporter','active','dave'),
('gina','project-B6BZVN3mOPvx','guest','active','bob');
/*!40000 ALTER TABLE `project_membership` ENABLE KEYS */;
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2021-03-15  9:41:07
